pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "./generated/constants.circom";
include "./lib/quadMerkle.circom";
include "./lib/leaves.circom";
include "./lib/txType.circom";
include "./lib/subtreeUpdates.circom";
include "./lib/positions.circom";
include "./lib/margin.circom";

// One batch slot: applies one transaction of any kind to the state and the L1 queue, and
// publishes its two data elements (docs/protocol.md, "Rules the circuit enforces, per slot").
//
// Signals shared by kinds (unused ones must be 0 in an honest witness, and are gated by the
// type flags so that no value of theirs changes an output when unused):
//   amount: uint64          deposit amount / withdraw amount
//   l1Address: uint160      deposit depositor / forced-withdrawal requester (from the queue)
//   entryPubKeyX/Y          deposit key (from the queue)
//   account{A,B}Fields[7]   [pubKeyX, pubKeyY, l1Address, nonce, collateral, positionsHash, orderSlotsRoot]
//   account{A,B}Siblings[accountsDepth / 2][3]   the account's path in the 4-ary accounts tree,
//                           leaf level first: per level the three siblings in child order, the
//                           path's own position removed (lib/quadMerkle.circom)
//   positions{A,B}[P][2]    every position slot (seriesId, size) of the account before the slot
//   rowSelect{A,B}, isShort{A,B}   margin hints (MarginChecks): each slot's table row and sign
//   forcedPaid, forcedBelow, forcedPaysAll, checkSelect   forced-withdrawal payout hints
//   table[S][3 + K]         the batch's market table (MarketTable, in Batch)
//   buyOrderId: uint32      buy order id (trade) or the cancelled order's id (cancel)
//   sigA*                   buy-order signature (trade), withdraw or cancel signature
//   sigB*                   sell-order signature (trade)
// Account A is updated by every kind but noop; account B by trades only, proven against the
// root after account A's update.
// Output `fee`: what each side of a trade pays, ceil(price * fill * feeBps / 10000) (0 in
// other kinds); the Batch credits twice the sum over its slots to the fee account.
// Margin (docs/protocol.md, "Margin"): a trade leaves both accounts, a withdrawal account A,
// meeting initial margin (factor initialBps) under the table; a forced withdrawal by the
// account's owner pays exactly its free collateral.
// Parameters: feeBps in [0, 10000]; P = positionSlots; S = marketRows; K = scenarioCount;
// 0 <= maintenanceBps <= initialBps <= 2^16 (state/params.ts).
template Slot(accountsDepth, positionSlots, orderSlotsDepth, feeBps, marketRows, scenarioCount, initialBps, maintenanceBps, penaltyBps) {
    // The accounts tree is 4-ary, of accountsDepth / 2 levels: the index bits pair into digits.
    assert(accountsDepth >= 2 && accountsDepth <= 32 && accountsDepth % 2 == 0);
    assert(feeBps >= 0 && feeBps <= 10000);
    assert(maintenanceBps >= 0 && maintenanceBps <= initialBps && initialBps <= 65536);
    assert(penaltyBps >= 0 && penaltyBps <= 10000);
    var P = positionSlots;
    var S = marketRows;
    var K = scenarioCount;
    // The kinds this template implements; a TxType added in state/params.ts fails here.
    assert(TX_KINDS() == 8);

    signal input rootIn;
    signal input queueHashIn;
    signal output rootOut;
    signal output queueHashOut;
    signal output e1;
    signal output e2;
    signal output fee;

    signal input type;
    signal input typeFlags[TX_KINDS()];

    signal input amount;
    signal input l1Address;
    signal input entryPubKeyX;
    signal input entryPubKeyY;

    signal input accountA;
    signal input accountAFields[7];
    signal input accountASiblings[accountsDepth \ 2][3];
    signal input accountB;
    signal input accountBFields[7];
    signal input accountBSiblings[accountsDepth \ 2][3];

    signal input seriesId;
    signal input fill;
    signal input price;
    signal input buyOrderId;
    signal input buySize;
    signal input buyLimitPrice;
    signal input buyValidUntil;
    signal input sellOrderId;
    signal input sellSize;
    signal input sellLimitPrice;
    signal input sellValidUntil;
    signal input sigAR8x;
    signal input sigAR8y;
    signal input sigAS;
    signal input sigBR8x;
    signal input sigBR8y;
    signal input sigBS;

    signal input positionA;
    signal input positionsA[P][2];
    signal input positionB;
    signal input positionsB[P][2];
    signal input rowSelectA[P][S];
    signal input isShortA[P];
    signal input rowSelectB[P][S];
    signal input isShortB[P];
    signal input forcedPaid;
    signal input forcedBelow;
    signal input forcedPaysAll;
    signal input checkSelect[K + 1];
    signal input table[S][3 + K];
    signal input movedShort;
    signal input bankrupt;
    signal input settlementPrice;
    signal input strike;
    signal input isCall;
    signal input fundShort;
    signal input liquidationRow[S];
    signal input orderSlotAOld[2];
    signal input orderSlotASiblings[orderSlotsDepth];
    signal input orderSlotBOld[2];
    signal input orderSlotBSiblings[orderSlotsDepth];

    // ---- kind ----
    component kind = TxTypeFlags(TX_KINDS());
    kind.type <== type;
    for (var k = 0; k < TX_KINDS(); k++) kind.flags[k] <== typeFlags[k];
    signal isNoop <== typeFlags[TX_NOOP()];
    signal isDeposit <== typeFlags[TX_DEPOSIT()];
    signal isTrade <== typeFlags[TX_TRADE()];
    signal isWithdraw <== typeFlags[TX_WITHDRAW()];
    signal isForced <== typeFlags[TX_FORCED_WITHDRAWAL()];
    signal isCancel <== typeFlags[TX_CANCEL()];
    signal isLiquidation <== typeFlags[TX_LIQUIDATION()];
    // Trades and liquidations move a position between account A and account B.
    signal movesPositions <== isTrade + isLiquidation;
    signal isSettlement <== typeFlags[TX_SETTLEMENT()];
    // Liquidations and settlements move (all or part of) one position of account A with the fund.
    signal closesPosition <== isLiquidation + isSettlement;

    // ---- ranges of the shared scalars ----
    component amountBits = Num2Bits(64);
    amountBits.in <== amount;
    component l1Bits = Num2Bits(160);
    l1Bits.in <== l1Address;
    component aBits = Num2Bits(accountsDepth);
    aBits.in <== accountA;
    component bBits = Num2Bits(accountsDepth);
    bBits.in <== accountB;
    component seriesBits = Num2Bits(32);
    seriesBits.in <== seriesId;
    component fillBits = Num2Bits(64);
    fillBits.in <== fill;
    component priceBits = Num2Bits(64);
    priceBits.in <== price;
    component buySizeBits = Num2Bits(64);
    buySizeBits.in <== buySize;
    component sellSizeBits = Num2Bits(64);
    sellSizeBits.in <== sellSize;
    component buyLimitBits = Num2Bits(64);
    buyLimitBits.in <== buyLimitPrice;
    component sellLimitBits = Num2Bits(64);
    sellLimitBits.in <== sellLimitPrice;
    component buyValidBits = Num2Bits(32);
    buyValidBits.in <== buyValidUntil;
    component sellValidBits = Num2Bits(32);
    sellValidBits.in <== sellValidUntil;

    // ---- deposit: create or credit, never account 0 (the insurance fund and fee account) ----
    component aIsZero = IsZero();
    aIsZero.in <== accountA;
    isDeposit * aIsZero.out === 0;
    // Nor is account 0 liquidated: it is the liquidations' counterparty.
    isLiquidation * aIsZero.out === 0;
    component pkXZero = IsZero();
    pkXZero.in <== accountAFields[0];
    component pkYZero = IsZero();
    pkYZero.in <== accountAFields[1];
    signal keyless <== pkXZero.out * pkYZero.out;
    signal creates <== isDeposit * keyless;
    signal credits <== isDeposit - creates;
    // A created account must be the empty account.
    creates * accountAFields[2] === 0;
    creates * accountAFields[3] === 0;
    creates * accountAFields[4] === 0;
    creates * (accountAFields[5] - emptyPositionsHash(P)) === 0;
    creates * (accountAFields[6] - emptySubtreeRoot(orderSlotsDepth)) === 0;
    // A credited account must hold the entry's key and L1 address.
    credits * (accountAFields[0] - entryPubKeyX) === 0;
    credits * (accountAFields[1] - entryPubKeyY) === 0;
    credits * (accountAFields[2] - l1Address) === 0;

    // ---- trade: orders, limits, accounts ----
    component sameAccount = IsEqual();
    sameAccount.in[0] <== accountA;
    sameAccount.in[1] <== accountB;
    isTrade * sameAccount.out === 0;
    component seriesZero = IsZero();
    seriesZero.in <== seriesId;
    (movesPositions + isSettlement) * seriesZero.out === 0;
    component fillZero = IsZero();
    fillZero.in <== fill;
    (movesPositions + isSettlement) * fillZero.out === 0;
    component buyLimitOk = LessEqThan(64);
    buyLimitOk.in[0] <== price;
    buyLimitOk.in[1] <== buyLimitPrice;
    isTrade * (1 - buyLimitOk.out) === 0;
    component sellLimitOk = LessEqThan(64);
    sellLimitOk.in[0] <== sellLimitPrice;
    sellLimitOk.in[1] <== price;
    isTrade * (1 - sellLimitOk.out) === 0;

    component buyMessage = Poseidon(8);
    buyMessage.inputs[0] <== TAG_ORDER();
    buyMessage.inputs[1] <== accountA;
    buyMessage.inputs[2] <== buyOrderId;
    buyMessage.inputs[3] <== seriesId;
    buyMessage.inputs[4] <== 0;
    buyMessage.inputs[5] <== buySize;
    buyMessage.inputs[6] <== buyLimitPrice;
    buyMessage.inputs[7] <== buyValidUntil;
    component sellMessage = Poseidon(8);
    sellMessage.inputs[0] <== TAG_ORDER();
    sellMessage.inputs[1] <== accountB;
    sellMessage.inputs[2] <== sellOrderId;
    sellMessage.inputs[3] <== seriesId;
    sellMessage.inputs[4] <== 1;
    sellMessage.inputs[5] <== sellSize;
    sellMessage.inputs[6] <== sellLimitPrice;
    sellMessage.inputs[7] <== sellValidUntil;
    component withdrawMessage = Poseidon(4);
    withdrawMessage.inputs[0] <== TAG_WITHDRAW();
    withdrawMessage.inputs[1] <== accountA;
    withdrawMessage.inputs[2] <== accountAFields[3];
    withdrawMessage.inputs[3] <== amount;
    component cancelMessage = Poseidon(3);
    cancelMessage.inputs[0] <== TAG_CANCEL();
    cancelMessage.inputs[1] <== accountA;
    cancelMessage.inputs[2] <== buyOrderId;

    // Signature A: the buy order (trade), the withdrawal or the cancel, under account A's key.
    signal messageATrade <== isTrade * buyMessage.out;
    signal messageAWithdraw <== isWithdraw * withdrawMessage.out;
    signal messageACancel <== isCancel * cancelMessage.out;
    component sigA = EdDSAPoseidonVerifier();
    sigA.enabled <== isTrade + isWithdraw + isCancel;
    sigA.Ax <== accountAFields[0];
    sigA.Ay <== accountAFields[1];
    sigA.R8x <== sigAR8x;
    sigA.R8y <== sigAR8y;
    sigA.S <== sigAS;
    sigA.M <== messageATrade + messageAWithdraw + messageACancel;
    // Signature B: the sell order, under account B's key.
    component sigB = EdDSAPoseidonVerifier();
    sigB.enabled <== isTrade;
    sigB.Ax <== accountBFields[0];
    sigB.Ay <== accountBFields[1];
    sigB.R8x <== sigBR8x;
    sigB.R8y <== sigBR8y;
    sigB.S <== sigBS;
    sigB.M <== sellMessage.out;

    // Order slots: both sides' of a trade; account A's for a cancel (the cancelled order's slot
    // becomes (buyOrderId, 2^64 - 1)). Positions: both sides' of a trade.
    component slotA = OrderSlotFill(orderSlotsDepth);
    slotA.enabled <== isTrade + isCancel;
    slotA.cancel <== isCancel;
    slotA.rootIn <== accountAFields[6];
    slotA.orderId <== buyOrderId;
    slotA.size <== buySize;
    slotA.fill <== fill;
    slotA.slotOrderId <== orderSlotAOld[0];
    slotA.slotFilled <== orderSlotAOld[1];
    for (var i = 0; i < orderSlotsDepth; i++) slotA.siblings[i] <== orderSlotASiblings[i];
    component slotB = OrderSlotFill(orderSlotsDepth);
    slotB.enabled <== isTrade;
    slotB.cancel <== 0;
    slotB.rootIn <== accountBFields[6];
    slotB.orderId <== sellOrderId;
    slotB.size <== sellSize;
    slotB.fill <== fill;
    slotB.slotOrderId <== orderSlotBOld[0];
    slotB.slotFilled <== orderSlotBOld[1];
    for (var i = 0; i < orderSlotsDepth; i++) slotB.siblings[i] <== orderSlotBSiblings[i];

    // Positions: opened (proven against positionsHash) where margin reads them: account A in
    // a trade, withdrawal or forced withdrawal, account B in a trade; moved in a trade.
    signal tradeFill <== isTrade * fill;
    // A liquidation moves t = +fill (a long) or -fill (a short, movedShort) from A to the fund;
    // a settlement closes t, all of A's position.
    movedShort * (1 - movedShort) === 0;
    movedShort * (1 - closesPosition) === 0;
    signal shortFill <== movedShort * fill;
    signal liquidatedSize <== isLiquidation * (fill - 2 * shortFill);
    signal settledSize <== isSettlement * (fill - 2 * shortFill);
    signal opensA <== isTrade + isWithdraw + isForced + closesPosition;
    component heldA = PositionsHash(P);
    for (var i = 0; i < P; i++) heldA.positions[i] <== positionsA[i];
    opensA * (heldA.out - accountAFields[5]) === 0;
    component heldB = PositionsHash(P);
    for (var i = 0; i < P; i++) heldB.positions[i] <== positionsB[i];
    movesPositions * (heldB.out - accountBFields[5]) === 0;

    component moveA = PositionSlotMove(P);
    moveA.enabled <== movesPositions + isSettlement;
    moveA.index <== positionA;
    moveA.seriesId <== seriesId;
    moveA.delta <== tradeFill - liquidatedSize - settledSize;
    for (var i = 0; i < P; i++) moveA.before[i] <== positionsA[i];
    component moveB = PositionSlotMove(P);
    moveB.enabled <== movesPositions;
    moveB.index <== positionB;
    moveB.seriesId <== seriesId;
    moveB.delta <== liquidatedSize - tradeFill;
    for (var i = 0; i < P; i++) moveB.before[i] <== positionsB[i];
    component movedA = PositionsHash(P);
    for (var i = 0; i < P; i++) movedA.positions[i] <== moveA.after[i];
    component movedB = PositionsHash(P);
    for (var i = 0; i < P; i++) movedB.positions[i] <== moveB.after[i];

    // ---- liquidation: account A's position shrinks towards zero, by fill at most its size ----
    closesPosition * moveA.heldEmpty === 0;
    signal signedHeld <== (1 - 2 * movedShort) * moveA.heldSize;
    component reduces = Num2Bits(BITS_POSITION_MAGNITUDE());
    reduces.in <== isLiquidation * (signedHeld - fill);
    // A settlement closes the whole position.
    isSettlement * (signedHeld - fill) === 0;
    // The fund (account 0) takes the position over.
    closesPosition * accountB === 0;
    // At the table's mark of the series (the row liquidationRow selects).
    var rowOnes = 0;
    var rowSeries = 0;
    var rowMark = 0;
    signal rowSeriesTerm[S];
    signal rowMarkTerm[S];
    for (var j = 0; j < S; j++) {
        liquidationRow[j] * (1 - liquidationRow[j]) === 0;
        rowOnes += liquidationRow[j];
        rowSeriesTerm[j] <== liquidationRow[j] * table[j][0];
        rowMarkTerm[j] <== liquidationRow[j] * table[j][1];
        rowSeries += rowSeriesTerm[j];
        rowMark += rowMarkTerm[j];
    }
    rowOnes === 1;
    isLiquidation * (rowSeries - seriesId) === 0;
    signal markValue <== fill * rowMark;
    // Penalty ceil(markValue * liquidationPenaltyBps / 10000), pinned as the fee is (below):
    // liquidationPaid is range-checked through account A's collateral (or, bankrupt, by
    // owedBeyond), so the hint is a small integer and its rounding bound holds over the integers.
    signal penaltyHint;
    penaltyHint <-- (markValue * penaltyBps + 9999) \ 10000;
    signal penaltyRounding <== 10000 * penaltyHint - markValue * penaltyBps;
    component penaltyRoundingLow = Num2Bits(14);
    penaltyRoundingLow.in <== penaltyRounding;
    component penaltyRoundingHigh = Num2Bits(14);
    penaltyRoundingHigh.in <== 9999 - penaltyRounding;
    // ---- settlement: the payoff at the price L1 fixed (L1 checks price, strike, isCall) ----
    component settlementPriceBits = Num2Bits(64);
    settlementPriceBits.in <== settlementPrice;
    component strikeBits = Num2Bits(64);
    strikeBits.in <== strike;
    isCall * (1 - isCall) === 0;
    // Zero outside settlements, so that no other slot carries a free value.
    settlementPrice * (1 - isSettlement) === 0;
    strike * (1 - isSettlement) === 0;
    isCall * (1 - isSettlement) === 0;
    component callInTheMoney = LessThan(64);
    callInTheMoney.in[0] <== strike;
    callInTheMoney.in[1] <== settlementPrice;
    component putInTheMoney = LessThan(64);
    putInTheMoney.in[0] <== settlementPrice;
    putInTheMoney.in[1] <== strike;
    signal callPays <== isCall * callInTheMoney.out;
    signal putPays <== (1 - isCall) * putInTheMoney.out;
    signal callIntrinsic <== callPays * (settlementPrice - strike);
    signal putIntrinsic <== putPays * (strike - settlementPrice);
    signal settledValue <== fill * (callIntrinsic + putIntrinsic);
    // payoff = settledValue / SIZE_SCALE, rounded down for a long and up for a short: the
    // hint is pinned by 0 <= (1 - 2 movedShort) (settledValue - SIZE_SCALE payoff) < SIZE_SCALE
    // (bounded through the collateral it moves, as the fee is).
    signal payoffHint;
    payoffHint <-- movedShort == 1 ? (settledValue + SIZE_SCALE() - 1) \ SIZE_SCALE() : settledValue \ SIZE_SCALE();
    signal payoffRounding <== (1 - 2 * movedShort) * (settledValue - SIZE_SCALE() * payoffHint);
    component payoffRoundingLow = Num2Bits(BITS_SIZE_SCALE());
    payoffRoundingLow.in <== payoffRounding;
    component payoffRoundingHigh = Num2Bits(BITS_SIZE_SCALE());
    payoffRoundingHigh.in <== SIZE_SCALE() - 1 - payoffRounding;
    // The fund's own positions close without cash: it is the clearing house.
    signal selfSettlement <== isSettlement * aIsZero.out;
    signal shortPayoff <== movedShort * payoffHint;
    signal settlementOwed <== (isSettlement - selfSettlement) * (2 * shortPayoff - payoffHint);

    // ---- what A pays the fund (liquidation or settlement) ----
    // Owed: penalty - t * mark (liquidation), the payoff signed (settlement); paid: all of it,
    // or all of A's collateral (bankrupt), or, for a long the fund cannot pay in full, all
    // the fund's collateral (fundShort).
    signal shortValue <== movedShort * markValue;
    signal movedValue <== isLiquidation * (markValue - 2 * shortValue);
    signal owed <== isLiquidation * penaltyHint - movedValue + settlementOwed;
    bankrupt * (1 - bankrupt) === 0;
    bankrupt * (1 - closesPosition) === 0;
    fundShort * (1 - fundShort) === 0;
    fundShort * (1 - isSettlement) === 0;
    signal bankruptShortfall <== bankrupt * (accountAFields[4] - owed);
    signal fundShortfall <== fundShort * (-accountBFields[4] - owed);
    signal liquidationPaid <== owed + bankruptShortfall + fundShortfall;
    component owedBeyond = Num2Bits(128);
    owedBeyond.in <== bankrupt * (owed - accountAFields[4] - 1);
    component owedBeyondFund = Num2Bits(128);
    owedBeyondFund.in <== fundShort * (-owed - accountBFields[4] - 1);

    signal premium <== price * tradeFill;

    // ---- trading fee, paid by each side: fee = ceil(premium * feeBps / 10000) ----
    // The hint is pinned by 0 <= 10000 * feeHint - premium * feeBps <= 9999 together with
    // collateralA's range check below. In a trade, account A's leaf is proven (updateA), so
    // its collateral is below 2^64 and newA[4] = collateral - premium - fee in [0, 2^64)
    // makes fee an integer t with |t| < 2^129; then 10000 * t - premium * feeBps (premium
    // < 2^128, feeBps < 2^14, so below 2^144 in absolute value) cannot wrap around the field,
    // the bound holds over the integers, and its only solution is the ceiling. Other kinds
    // pay no fee: the gate keeps a hint they do not pin (e.g. 1/2 in a noop, whose account
    // fields are not proven) out of every balance.
    signal feeHint;
    feeHint <-- (premium * feeBps + 9999) \ 10000;
    signal feeRounding <== 10000 * feeHint - premium * feeBps;
    component feeRoundingLow = Num2Bits(14);
    feeRoundingLow.in <== feeRounding;
    component feeRoundingHigh = Num2Bits(14);
    feeRoundingHigh.in <== 9999 - feeRounding;
    fee <== isTrade * feeHint;

    // ---- forced withdrawal: pays the owner the account's free collateral ----
    // The hint forcedPaid is pinned below, after the margin checks of account A.
    component ownerMatches = IsEqual();
    ownerMatches.in[0] <== accountAFields[2];
    ownerMatches.in[1] <== l1Address;
    signal forcedOwner <== isForced * ownerMatches.out;
    component paidBits = Num2Bits(64);
    paidBits.in <== forcedPaid;
    signal paid <== forcedOwner * forcedPaid;

    // ---- account A ----
    signal depositAmount <== isDeposit * amount;
    signal withdrawAmount <== isWithdraw * amount;
    signal newA[7];
    newA[0] <== accountAFields[0] + creates * entryPubKeyX;
    newA[1] <== accountAFields[1] + creates * entryPubKeyY;
    newA[2] <== accountAFields[2] + creates * l1Address;
    newA[3] <== accountAFields[3] + isWithdraw;
    newA[4] <== accountAFields[4] + depositAmount - withdrawAmount - premium - fee - paid - liquidationPaid;
    newA[5] <== accountAFields[5] + (movesPositions + isSettlement) * (movedA.out - accountAFields[5]);
    newA[6] <== slotA.rootOut;
    // Collateral stays in [0, 2^64): no withdrawal, premium, fee or deposit can overdraw or overflow it.
    component collateralA = Num2Bits(64);
    collateralA.in <== newA[4];

    component oldLeafA = AccountLeaf();
    component newLeafA = AccountLeaf();
    for (var i = 0; i < 7; i++) {
        oldLeafA.fields[i] <== accountAFields[i];
        newLeafA.fields[i] <== newA[i];
    }
    component updateA = QuadMerkleUpdate(accountsDepth \ 2);
    updateA.enabled <== 1 - isNoop;
    updateA.rootIn <== rootIn;
    updateA.oldLeaf <== oldLeafA.out;
    updateA.newLeaf <== newLeafA.out;
    for (var i = 0; i < accountsDepth; i++) updateA.bits[i] <== aBits.out[i];
    for (var l = 0; l < accountsDepth \ 2; l++) {
        updateA.siblings[l] <== accountASiblings[l];
    }

    // ---- account B (trade only), against the root after A ----
    signal newB[7];
    newB[0] <== accountBFields[0];
    newB[1] <== accountBFields[1];
    newB[2] <== accountBFields[2];
    newB[3] <== accountBFields[3];
    // fee <= premium (feeBps <= 10000): the seller's collateral can only grow, and not past 2^64.
    newB[4] <== accountBFields[4] + premium - fee + liquidationPaid;
    newB[5] <== accountBFields[5] + movesPositions * (movedB.out - accountBFields[5]);
    newB[6] <== slotB.rootOut;
    component collateralB = Num2Bits(64);
    collateralB.in <== newB[4];

    // ---- margin under the batch's market table ----
    // Account A's margin: after the slot at the initial factor, but before it at the
    // maintenance factor in a liquidation (which must show A below maintenance).
    component marginA = MarginChecks(P, S, K);
    marginA.collateral <== newA[4] + isLiquidation * (accountAFields[4] - newA[4]);
    marginA.factor <== initialBps + isLiquidation * (maintenanceBps - initialBps);
    signal marginPositionsA[P][2];
    for (var i = 0; i < P; i++) {
        for (var c = 0; c < 2; c++) marginPositionsA[i][c] <== moveA.after[i][c] + isLiquidation * (positionsA[i][c] - moveA.after[i][c]);
        marginA.positions[i] <== marginPositionsA[i];
        marginA.isShort[i] <== isShortA[i];
        for (var j = 0; j < S; j++) marginA.rowSelect[i][j] <== rowSelectA[i][j];
    }
    for (var j = 0; j < S; j++) for (var l = 0; l < 3 + K; l++) marginA.table[j][l] <== table[j][l];
    component marginB = MarginChecks(P, S, K);
    marginB.collateral <== newB[4];
    marginB.factor <== initialBps;
    for (var i = 0; i < P; i++) {
        marginB.positions[i] <== moveB.after[i];
        marginB.isShort[i] <== isShortB[i];
        for (var j = 0; j < S; j++) marginB.rowSelect[i][j] <== rowSelectB[i][j];
    }
    for (var j = 0; j < S; j++) for (var l = 0; l < 3 + K; l++) marginB.table[j][l] <== table[j][l];

    // Initial margin after the slot: account A in a trade, a withdrawal or a forced withdrawal
    // that pays (meetsGate, below); account B in a trade.
    forcedBelow * (1 - forcedBelow) === 0;
    signal belowGate <== forcedOwner * forcedBelow;
    signal meetsGate <== forcedOwner - belowGate;
    component requireA = NonNegativeWhen(K + 1);
    requireA.enabled <== isTrade + isWithdraw + meetsGate;
    for (var k = 0; k <= K; k++) requireA.values[k] <== marginA.checks[k];
    component requireB = NonNegativeWhen(K + 1);
    requireB.enabled <== isTrade;
    for (var k = 0; k <= K; k++) requireB.values[k] <== marginB.checks[k];

    // Forced withdrawal by the owner: either the account was below initial margin
    // (forcedBelow: a selected check is negative with nothing paid), or it meets initial
    // margin after the payout and the payout is maximal: all of the collateral
    // (forcedPaysAll), or a selected check is below 10000 after it (one more base unit paid
    // would lower every check by 10000 and break that one).
    forcedPaysAll * (1 - forcedPaysAll) === 0;
    var selectedOnes = 0;
    var selectedSum = 0;
    signal selectedTerm[K + 1];
    for (var k = 0; k <= K; k++) {
        checkSelect[k] * (1 - checkSelect[k]) === 0;
        selectedOnes += checkSelect[k];
        selectedTerm[k] <== checkSelect[k] * marginA.checks[k];
        selectedSum += selectedTerm[k];
    }
    selectedOnes === 1;
    signal selected <== selectedSum;
    belowGate * forcedPaid === 0;
    component selectedNegative = Num2Bits(BITS_MARGIN_CHECK());
    selectedNegative.in <== (belowGate + isLiquidation) * (-1 - selected);
    signal allGate <== meetsGate * forcedPaysAll;
    allGate * (forcedPaid - accountAFields[4]) === 0;
    signal partialGate <== meetsGate - allGate;
    component selectedSmall = Num2Bits(14);
    selectedSmall.in <== partialGate * (BPS_DENOMINATOR() - 1 - selected);


    component oldLeafB = AccountLeaf();
    component newLeafB = AccountLeaf();
    for (var i = 0; i < 7; i++) {
        oldLeafB.fields[i] <== accountBFields[i];
        newLeafB.fields[i] <== newB[i];
    }
    component updateB = QuadMerkleUpdate(accountsDepth \ 2);
    // The fund is account B of a settlement too (except of its own).
    updateB.enabled <== movesPositions + isSettlement - selfSettlement;
    updateB.rootIn <== updateA.rootOut;
    updateB.oldLeaf <== oldLeafB.out;
    updateB.newLeaf <== newLeafB.out;
    for (var i = 0; i < accountsDepth; i++) updateB.bits[i] <== bBits.out[i];
    for (var l = 0; l < accountsDepth \ 2; l++) {
        updateB.siblings[l] <== accountBSiblings[l];
    }
    rootOut <== updateB.rootOut;

    // ---- L1 queue: deposits and forced withdrawals consume one entry each ----
    // packed = kind + accountIndex * 2^8 + amount * 2^40 (QueueLayout).
    signal forcedAccount <== isForced * accountA;
    signal consumes <== isDeposit + isForced;
    component entry = Poseidon(5);
    entry.inputs[0] <== queueHashIn;
    entry.inputs[1] <== isDeposit + 2 * isForced + forcedAccount * (1 << 8) + depositAmount * (1 << 40);
    entry.inputs[2] <== l1Address;
    entry.inputs[3] <== isDeposit * entryPubKeyX;
    entry.inputs[4] <== isDeposit * entryPubKeyY;
    queueHashOut <== queueHashIn + consumes * (entry.out - queueHashIn);

    // ---- published data (SlotLayout), every term gated by its kind ----
    signal accountTerm <== (1 - isNoop) * accountA;
    // At bit 36: the amount (deposit, withdraw, forced withdrawal) or the order id (cancel).
    signal cancelTerm <== isCancel * buyOrderId;
    signal amountTerm <== depositAmount + withdrawAmount + paid + cancelTerm;
    signal tradeTerm <== isTrade * (accountB * (1 << 36) + seriesId * (1 << 68) + fill * (1 << 100) + price * (1 << 164));
    // A liquidation: trade's layout with the fund as seller (0) and the short flag for the price.
    signal liquidationTerm <== closesPosition * (seriesId * (1 << 68) + fill * (1 << 100) + movedShort * (1 << 164));
    e1 <== type + accountTerm * (1 << 4) + amountTerm * (1 << 36) + tradeTerm + liquidationTerm;
    signal orderIds <== isTrade * (buyOrderId + sellOrderId * (1 << 32));
    signal tradeIds <== orderIds + movesPositions * (positionA * (1 << 64) + positionB * (1 << 72));
    signal withdrawRecipient <== isWithdraw * accountAFields[2];
    signal forcedRecipient <== isForced * l1Address;
    // A settlement: what L1 checks (price, strike, call/put) and the position index.
    signal settlementTerm <== isSettlement * (settlementPrice + strike * (1 << 64) + isCall * (1 << 128) + positionA * (1 << 136));
    e2 <== tradeIds + withdrawRecipient + forcedRecipient + settlementTerm;
}
