pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "./slot.circom";

// A batch of `batchSize` slots applied in order. Its single public signal is
// inputHash = H(oldRoot, newRoot, queueHashBefore, queueHashAfter, dataHash), with
// dataHash = d[batchSize], d[0] = 0, d[i+1] = H(d[i], e1[i], e2[i]) (docs/protocol.md).
// The L1 contract supplies oldRoot and both queue hashes from its own storage and computes
// dataHash from the calldata, so every private input is bound through this one hash.
template Batch(batchSize, accountsDepth, positionsDepth, orderSlotsDepth) {
    assert(batchSize >= 1);
    signal input oldRoot;
    signal input queueHashBefore;
    signal output inputHash;

    signal input type[batchSize];
    signal input typeFlags[batchSize][5];
    signal input amount[batchSize];
    signal input l1Address[batchSize];
    signal input entryPubKeyX[batchSize];
    signal input entryPubKeyY[batchSize];
    signal input accountA[batchSize];
    signal input accountAFields[batchSize][7];
    signal input accountASiblings[batchSize][accountsDepth];
    signal input accountB[batchSize];
    signal input accountBFields[batchSize][7];
    signal input accountBSiblings[batchSize][accountsDepth];
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
    signal input positionAOld[batchSize][2];
    signal input positionASiblings[batchSize][positionsDepth];
    signal input positionB[batchSize];
    signal input positionBOld[batchSize][2];
    signal input positionBSiblings[batchSize][positionsDepth];
    signal input orderSlotAOld[batchSize][2];
    signal input orderSlotASiblings[batchSize][orderSlotsDepth];
    signal input orderSlotBOld[batchSize][2];
    signal input orderSlotBSiblings[batchSize][orderSlotsDepth];

    component slots[batchSize];
    component dataChain[batchSize];
    for (var s = 0; s < batchSize; s++) {
        slots[s] = Slot(accountsDepth, positionsDepth, orderSlotsDepth);
        slots[s].rootIn <== s == 0 ? oldRoot : slots[s - 1].rootOut;
        slots[s].queueHashIn <== s == 0 ? queueHashBefore : slots[s - 1].queueHashOut;
        slots[s].type <== type[s];
        for (var k = 0; k < 5; k++) slots[s].typeFlags[k] <== typeFlags[s][k];
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
        for (var i = 0; i < accountsDepth; i++) {
            slots[s].accountASiblings[i] <== accountASiblings[s][i];
            slots[s].accountBSiblings[i] <== accountBSiblings[s][i];
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
            slots[s].positionAOld[i] <== positionAOld[s][i];
            slots[s].positionBOld[i] <== positionBOld[s][i];
            slots[s].orderSlotAOld[i] <== orderSlotAOld[s][i];
            slots[s].orderSlotBOld[i] <== orderSlotBOld[s][i];
        }
        for (var i = 0; i < positionsDepth; i++) {
            slots[s].positionASiblings[i] <== positionASiblings[s][i];
            slots[s].positionBSiblings[i] <== positionBSiblings[s][i];
        }
        for (var i = 0; i < orderSlotsDepth; i++) {
            slots[s].orderSlotASiblings[i] <== orderSlotASiblings[s][i];
            slots[s].orderSlotBSiblings[i] <== orderSlotBSiblings[s][i];
        }

        dataChain[s] = Poseidon(3);
        dataChain[s].inputs[0] <== s == 0 ? 0 : dataChain[s - 1].out;
        dataChain[s].inputs[1] <== slots[s].e1;
        dataChain[s].inputs[2] <== slots[s].e2;
    }

    component publicHash = Poseidon(5);
    publicHash.inputs[0] <== oldRoot;
    publicHash.inputs[1] <== slots[batchSize - 1].rootOut;
    publicHash.inputs[2] <== queueHashBefore;
    publicHash.inputs[3] <== slots[batchSize - 1].queueHashOut;
    publicHash.inputs[4] <== dataChain[batchSize - 1].out;
    inputHash <== publicHash.out;
}
