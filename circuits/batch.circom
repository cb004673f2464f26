pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "./slot.circom";

// A batch of `batchSize` slots applied in order, then one last step: the fee account
// (FEE_ACCOUNT_INDEX(), the insurance fund) is credited the fees of every trade of the batch,
// two per trade (one per side), proven against the root after the last slot. Its single
// public signal is inputHash = H(oldRoot, newRoot, queueHashBefore, queueHashAfter, dataHash),
// with newRoot the root after the fee credit, dataHash = d[batchSize], d[0] = the hash of
// the batch's market table (MarketTable), d[i+1] = H(d[i], e1[i], e2[i]) (docs/protocol.md).
// The L1 contract supplies oldRoot and both queue hashes from its own storage and computes
// dataHash from the calldata, so every private input is bound through this one hash.
// Inputs of the fee step: feeAccountFields[7] (as accountAFields) and
// feeAccountSiblings[accountsDepth / 2][3], the fee account's leaf and path in the 4-ary
// accounts tree (lib/quadMerkle.circom) under the root after the last slot.
// Every slot checks margin against the one market table `marketTable` (rows x lanes).
template Batch(batchSize, accountsDepth, positionSlots, orderSlotsDepth, feeBps, marketRows, scenarioCount, initialBps, maintenanceBps, penaltyBps) {
    assert(batchSize >= 1);
    // The accounts tree is 4-ary, of accountsDepth / 2 levels (Slot asserts the range too).
    assert(accountsDepth % 2 == 0);
    var P = positionSlots;
    var S = marketRows;
    var K = scenarioCount;
    signal input marketTable[S][3 + K];
    signal input oldRoot;
    signal input queueHashBefore;
    signal output inputHash;

    signal input feeAccountFields[7];
    signal input feeAccountSiblings[accountsDepth \ 2][3];

    signal input type[batchSize];
    signal input typeFlags[batchSize][TX_KINDS()];
    signal input amount[batchSize];
    signal input l1Address[batchSize];
    signal input entryPubKeyX[batchSize];
    signal input entryPubKeyY[batchSize];
    signal input accountA[batchSize];
    signal input accountAFields[batchSize][7];
    signal input accountASiblings[batchSize][accountsDepth \ 2][3];
    signal input accountB[batchSize];
    signal input accountBFields[batchSize][7];
    signal input accountBSiblings[batchSize][accountsDepth \ 2][3];
    signal input seriesId[batchSize];
    signal input fill[batchSize];
    signal input price[batchSize];
    signal input buyOrderId[batchSize];
    signal input buySize[batchSize];
    signal input buyLimitPrice[batchSize];
    signal input buyValidUntil[batchSize];
    signal input sellOrderId[batchSize];
    signal input sellSize[batchSize];
    signal input sellLimitPrice[batchSize];
    signal input sellValidUntil[batchSize];
    signal input sigAR8x[batchSize];
    signal input sigAR8y[batchSize];
    signal input sigAS[batchSize];
    signal input sigBR8x[batchSize];
    signal input sigBR8y[batchSize];
    signal input sigBS[batchSize];
    signal input positionA[batchSize];
    signal input positionsA[batchSize][P][2];
    signal input positionB[batchSize];
    signal input positionsB[batchSize][P][2];
    signal input rowSelectA[batchSize][P][S];
    signal input isShortA[batchSize][P];
    signal input rowSelectB[batchSize][P][S];
    signal input isShortB[batchSize][P];
    signal input forcedPaid[batchSize];
    signal input forcedBelow[batchSize];
    signal input forcedPaysAll[batchSize];
    signal input checkSelect[batchSize][K + 1];
    signal input movedShort[batchSize];
    signal input bankrupt[batchSize];
    signal input settlementPrice[batchSize];
    signal input strike[batchSize];
    signal input isCall[batchSize];
    signal input fundShort[batchSize];
    signal input liquidationRow[batchSize][S];
    signal input orderSlotAOld[batchSize][2];
    signal input orderSlotASiblings[batchSize][orderSlotsDepth];
    signal input orderSlotBOld[batchSize][2];
    signal input orderSlotBSiblings[batchSize][orderSlotsDepth];

    component table = MarketTable(S, 3 + K);
    for (var j = 0; j < S; j++) for (var l = 0; l < 3 + K; l++) table.lanes[j][l] <== marketTable[j][l];

    component slots[batchSize];
    component dataChain[batchSize];
    for (var s = 0; s < batchSize; s++) {
        slots[s] = Slot(accountsDepth, positionSlots, orderSlotsDepth, feeBps, marketRows, scenarioCount, initialBps, maintenanceBps, penaltyBps);
        for (var j = 0; j < S; j++) for (var l = 0; l < 3 + K; l++) slots[s].table[j][l] <== marketTable[j][l];
        for (var i = 0; i < P; i++) {
            for (var c = 0; c < 2; c++) {
                slots[s].positionsA[i][c] <== positionsA[s][i][c];
                slots[s].positionsB[i][c] <== positionsB[s][i][c];
            }
            slots[s].isShortA[i] <== isShortA[s][i];
            slots[s].isShortB[i] <== isShortB[s][i];
            for (var j = 0; j < S; j++) {
                slots[s].rowSelectA[i][j] <== rowSelectA[s][i][j];
                slots[s].rowSelectB[i][j] <== rowSelectB[s][i][j];
            }
        }
        slots[s].forcedPaid <== forcedPaid[s];
        slots[s].forcedBelow <== forcedBelow[s];
        slots[s].forcedPaysAll <== forcedPaysAll[s];
        for (var k = 0; k <= K; k++) slots[s].checkSelect[k] <== checkSelect[s][k];
        slots[s].movedShort <== movedShort[s];
        slots[s].bankrupt <== bankrupt[s];
        slots[s].settlementPrice <== settlementPrice[s];
        slots[s].strike <== strike[s];
        slots[s].isCall <== isCall[s];
        slots[s].fundShort <== fundShort[s];
        for (var j = 0; j < S; j++) slots[s].liquidationRow[j] <== liquidationRow[s][j];
        slots[s].rootIn <== s == 0 ? oldRoot : slots[s - 1].rootOut;
        slots[s].queueHashIn <== s == 0 ? queueHashBefore : slots[s - 1].queueHashOut;
        slots[s].type <== type[s];
        for (var k = 0; k < TX_KINDS(); k++) slots[s].typeFlags[k] <== typeFlags[s][k];
        slots[s].amount <== amount[s];
        slots[s].l1Address <== l1Address[s];
        slots[s].entryPubKeyX <== entryPubKeyX[s];
        slots[s].entryPubKeyY <== entryPubKeyY[s];
        slots[s].accountA <== accountA[s];
        slots[s].accountB <== accountB[s];
        for (var i = 0; i < 7; i++) {
            slots[s].accountAFields[i] <== accountAFields[s][i];
            slots[s].accountBFields[i] <== accountBFields[s][i];
        }
        for (var l = 0; l < accountsDepth \ 2; l++) {
            slots[s].accountASiblings[l] <== accountASiblings[s][l];
            slots[s].accountBSiblings[l] <== accountBSiblings[s][l];
        }
        slots[s].seriesId <== seriesId[s];
        slots[s].fill <== fill[s];
        slots[s].price <== price[s];
        slots[s].buyOrderId <== buyOrderId[s];
        slots[s].buySize <== buySize[s];
        slots[s].buyLimitPrice <== buyLimitPrice[s];
        slots[s].buyValidUntil <== buyValidUntil[s];
        slots[s].sellOrderId <== sellOrderId[s];
        slots[s].sellSize <== sellSize[s];
        slots[s].sellLimitPrice <== sellLimitPrice[s];
        slots[s].sellValidUntil <== sellValidUntil[s];
        slots[s].sigAR8x <== sigAR8x[s];
        slots[s].sigAR8y <== sigAR8y[s];
        slots[s].sigAS <== sigAS[s];
        slots[s].sigBR8x <== sigBR8x[s];
        slots[s].sigBR8y <== sigBR8y[s];
        slots[s].sigBS <== sigBS[s];
        slots[s].positionA <== positionA[s];
        slots[s].positionB <== positionB[s];
        for (var i = 0; i < 2; i++) {
            slots[s].orderSlotAOld[i] <== orderSlotAOld[s][i];
            slots[s].orderSlotBOld[i] <== orderSlotBOld[s][i];
        }
        for (var i = 0; i < orderSlotsDepth; i++) {
            slots[s].orderSlotASiblings[i] <== orderSlotASiblings[s][i];
            slots[s].orderSlotBSiblings[i] <== orderSlotBSiblings[s][i];
        }

        dataChain[s] = Poseidon(3);
        dataChain[s].inputs[0] <== s == 0 ? table.hash : dataChain[s - 1].out;
        dataChain[s].inputs[1] <== slots[s].e1;
        dataChain[s].inputs[2] <== slots[s].e2;
    }

    // ---- fee credit: one account update per batch, not one per trade ----
    // Each slot's fee is the exact ceiling (Slot), below 2^64 as collateral it was paid from,
    // so the sum of 2 * batchSize of them cannot wrap; the credited collateral stays below 2^64.
    var fees = 0;
    for (var s = 0; s < batchSize; s++) fees += 2 * slots[s].fee;
    signal newFeeAccount[7];
    for (var i = 0; i < 7; i++) newFeeAccount[i] <== feeAccountFields[i] + (i == 4 ? fees : 0);
    component feeCollateral = Num2Bits(64);
    feeCollateral.in <== newFeeAccount[4];
    component oldFeeLeaf = AccountLeaf();
    component newFeeLeaf = AccountLeaf();
    for (var i = 0; i < 7; i++) {
        oldFeeLeaf.fields[i] <== feeAccountFields[i];
        newFeeLeaf.fields[i] <== newFeeAccount[i];
    }
    component feeUpdate = QuadMerkleUpdate(accountsDepth \ 2);
    feeUpdate.enabled <== 1;
    feeUpdate.rootIn <== slots[batchSize - 1].rootOut;
    feeUpdate.oldLeaf <== oldFeeLeaf.out;
    feeUpdate.newLeaf <== newFeeLeaf.out;
    // The constant index's bits, least significant first (digit l = bits 2l and 2l + 1).
    for (var i = 0; i < accountsDepth; i++) feeUpdate.bits[i] <== (FEE_ACCOUNT_INDEX() >> i) & 1;
    for (var l = 0; l < accountsDepth \ 2; l++) {
        feeUpdate.siblings[l] <== feeAccountSiblings[l];
    }

    component publicHash = Poseidon(5);
    publicHash.inputs[0] <== oldRoot;
    publicHash.inputs[1] <== feeUpdate.rootOut;
    publicHash.inputs[2] <== queueHashBefore;
    publicHash.inputs[3] <== slots[batchSize - 1].queueHashOut;
    publicHash.inputs[4] <== dataChain[batchSize - 1].out;
    inputHash <== publicHash.out;
}
