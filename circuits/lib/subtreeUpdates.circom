pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "./merkle.circom";
include "../generated/constants.circom";

// Fills or cancels an order in the order-slot tree of one account (docs/protocol.md,
// "Order slots" and "Cancel").
// When enabled: the slot at `orderId mod 2^depth` holds (slotOrderId, slotFilled) under
// rootIn; either slotOrderId == orderId (the order continues) or slotOrderId < orderId (the
// slot is retired and the order starts from filled = 0). Then
//   a fill (cancel = 0): filled + fill <= size; the slot becomes (orderId, filled + fill);
//   a cancel (cancel = 1): the slot becomes (orderId, CANCELLED_FILLED()) = (orderId, 2^64 - 1),
//     so that no later fill (>= 1) of orderId fits its size (< 2^64); fill and size are ignored.
// Inputs: enabled, cancel: boolean, cancel only when enabled (caller-constrained: both come
// from one-hot type flags); orderId: uint32 (range-checked here, and >= 1 when enabled);
// fill, size: uint64 (caller range-checks); slotOrderId < 2^32 and slotFilled < 2^64 hold for
// every stored leaf because every write is range-checked here (a fill's by withinSize, a
// cancel's is the constant 2^64 - 1).
template OrderSlotFill(depth) {
    assert(depth >= 1 && depth <= 32);
    signal input enabled;
    signal input cancel;
    signal input rootIn;
    signal input orderId;
    signal input size;
    signal input fill;
    signal input slotOrderId;
    signal input slotFilled;
    signal input siblings[depth];
    signal output rootOut;

    component idBits = Num2Bits(32);
    idBits.in <== orderId;
    component idIsZero = IsZero();
    idIsZero.in <== orderId;
    enabled * idIsZero.out === 0;

    component same = IsEqual();
    same.in[0] <== slotOrderId;
    same.in[1] <== orderId;
    component older = LessThan(32);
    older.in[0] <== slotOrderId;
    older.in[1] <== orderId;
    // Either the same order or an older one in the slot.
    signal neither <== (1 - same.out) * (1 - older.out);
    enabled * neither === 0;

    signal filledBefore <== same.out * slotFilled;
    signal filledAfter <== filledBefore + fill;
    component withinSize = LessEqThan(65);
    withinSize.in[0] <== filledAfter;
    withinSize.in[1] <== size;
    // Fills only: a cancel writes the sentinel whatever the size.
    (enabled - cancel) * (1 - withinSize.out) === 0;
    signal newFilled <== filledAfter + cancel * (CANCELLED_FILLED() - filledAfter);

    component oldLeaf = Poseidon(2);
    oldLeaf.inputs[0] <== slotOrderId;
    oldLeaf.inputs[1] <== slotFilled;
    component newLeaf = Poseidon(2);
    newLeaf.inputs[0] <== orderId;
    newLeaf.inputs[1] <== newFilled;

    component update = MerkleUpdate(depth);
    update.enabled <== enabled;
    update.rootIn <== rootIn;
    update.oldLeaf <== oldLeaf.out;
    update.newLeaf <== newLeaf.out;
    for (var i = 0; i < depth; i++) {
        update.bits[i] <== idBits.out[i];
        update.siblings[i] <== siblings[i];
    }
    rootOut <== update.rootOut;
}
