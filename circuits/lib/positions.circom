pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// The positions hash of an account: H(seriesId_0, size_0, ..., seriesId_{P-1}, size_{P-1})
// over its P position slots (docs/protocol.md, "Positions"). Constrains nothing about the
// slots' values: every write of a slot is range-checked by PositionSlotMove.
template PositionsHash(P) {
    assert(P >= 1 && P <= 8);
    signal input positions[P][2];
    signal output out;
    component h = Poseidon(2 * P);
    for (var i = 0; i < P; i++) {
        h.inputs[2 * i] <== positions[i][0];
        h.inputs[2 * i + 1] <== positions[i][1];
    }
    out <== h.out;
}

// Moves slot `index` of an account's positions by `delta` in `seriesId` (docs/protocol.md,
// "Positions"). When enabled: index < P; the slot is empty (0, 0) and no slot holds seriesId,
// or the slot holds seriesId; the new
// size oldSize + delta has magnitude below 2^63 (-2^63 itself refused); the slot becomes
// (seriesId, newSize), or (0, 0) when newSize is zero. When disabled, after = before.
// Inputs: delta: a signed field element of magnitude below 2^64, 0 when disabled (caller);
// every stored size has magnitude below 2^63 because every write is checked here.
template PositionSlotMove(P) {
    assert(P >= 1 && P <= 8);
    signal input enabled;
    signal input index;
    signal input seriesId;
    signal input delta;
    signal input before[P][2];
    signal output after[P][2];
    // The slot at `index` before the move: its size, and whether it was empty.
    signal output heldSize;
    signal output heldEmpty;

    component at[P];
    var hit = 0;
    var oldSeriesSum = 0;
    var oldSizeSum = 0;
    signal pickedSeries[P];
    signal pickedSize[P];
    for (var i = 0; i < P; i++) {
        at[i] = IsEqual();
        at[i].in[0] <== index;
        at[i].in[1] <== i;
        hit += at[i].out;
        pickedSeries[i] <== at[i].out * before[i][0];
        pickedSize[i] <== at[i].out * before[i][1];
        oldSeriesSum += pickedSeries[i];
        oldSizeSum += pickedSize[i];
    }
    // The index names a slot.
    enabled * (1 - hit) === 0;
    signal oldSeriesId <== oldSeriesSum;
    signal oldSize <== oldSizeSum;

    component seriesMatches = IsEqual();
    seriesMatches.in[0] <== oldSeriesId;
    seriesMatches.in[1] <== seriesId;
    component seriesEmpty = IsZero();
    seriesEmpty.in <== oldSeriesId;
    component sizeEmpty = IsZero();
    sizeEmpty.in <== oldSize;
    signal wasEmpty <== seriesEmpty.out * sizeEmpty.out;
    heldSize <== oldSize;
    heldEmpty <== wasEmpty;
    signal conflict <== (1 - seriesMatches.out) * (1 - wasEmpty);
    enabled * conflict === 0;
    // An empty slot opens the series only if no other slot holds it: one slot per series,
    // so that each slot's short part is the account's net short in its series (margin).
    component holds[P];
    var holders = 0;
    for (var i = 0; i < P; i++) {
        holds[i] = IsEqual();
        holds[i].in[0] <== before[i][0];
        holds[i].in[1] <== seriesId;
        holders += holds[i].out;
    }
    signal opens <== enabled * wasEmpty;
    opens * holders === 0;

    signal newSize <== oldSize + delta;
    // |newSize| < 2^63  <=>  newSize + 2^63 in (0, 2^64): the range check admits -2^63
    // itself, which the protocol refuses, so exclude it apart.
    component sizeRange = Num2Bits(64);
    sizeRange.in <== newSize + (1 << 63);
    component atMinimum = IsZero();
    atMinimum.in <== newSize + (1 << 63);
    atMinimum.out === 0;
    component closed = IsZero();
    closed.in <== newSize;
    signal newSeriesId <== seriesId * (1 - closed.out);

    signal gate[P];
    for (var i = 0; i < P; i++) {
        gate[i] <== enabled * at[i].out;
        after[i][0] <== before[i][0] + gate[i] * (newSeriesId - oldSeriesId);
        after[i][1] <== before[i][1] + gate[i] * (newSize - oldSize);
    }
}
