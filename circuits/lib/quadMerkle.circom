pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// 4-ary Poseidon Merkle trees (docs/cost.md, "Alternatives measured"): a node is Poseidon(4)
// of its four children in child order; a tree of `levels` levels has 4^levels leaves. The
// TypeScript reference is state/quadMerkle.ts, the L1 one contracts/src/QuadMerkle.sol.
//
// Index: bits[2 * levels], least significant first, exactly the bits of the binary index
// (Num2Bits(2 * levels) of it). The digit at level l is d = bits[2l] + 2 * bits[2l + 1]: the
// position, 0..3, of the level-l node among its parent's children. Bits rather than digits
// because every call site already has the index bits (slot.circom's Num2Bits of the account
// index, batch.circom's constant fee account index): taking them costs nothing, where digits
// would cost 2 constraints each to decompose (QuadDigitsToBits, for a caller that has digits).
//
// Siblings: siblings[l][3], the three other children of the level-(l + 1) node in child order
// with the path's own position removed (d = 0: [c1, c2, c3]; 1: [c0, c2, c3]; 2: [c0, c1, c3];
// 3: [c0, c1, c2]), as QuadMerkleTree.proof returns them.
//
// Placing the node among the siblings: with the digit's bits (lo, hi) the four children are
// two pairs. The node's pair is (node, a) or (a, node) by `lo`, where a is its sibling in the
// pair; the other pair is (x, y). The children are (nodePair, otherPair) or (otherPair,
// nodePair) by `hi`. x, y and a depend on the siblings and `hi` only (2 constraints a level,
// shared by the old and new paths of an update); each path then costs 3 (one swap by `lo`,
// two by `hi`). QuadMerkleUpdate(12) is 7,226 constraints (24 x 297 + 12 x 8 + 2), where a
// one-hot decoding of the digit (bench/analysis/alternatives.circom KaryMerkleUpdate(2, 12),
// docs/cost.md) is 7,298 and the binary MerkleUpdate(24) 11,570.

// The sibling layout of one level, from the siblings and the high bit of the digit: x, y are
// the children of the pair the node is not in, a is the node's sibling within its pair.
// Inputs: siblings: field; hi: boolean (caller-constrained). 2 constraints.
template QuadSiblingLayout() {
    signal input siblings[3];
    signal input hi;
    signal output x;
    signal output y;
    signal output a;

    // hi = 0: the node is in (c0, c1): a = s0, (x, y) = (s1, s2).
    // hi = 1: the node is in (c2, c3): a = s2, (x, y) = (s0, s1).
    signal dx <== hi * (siblings[0] - siblings[1]);
    signal dy <== hi * (siblings[1] - siblings[2]);
    x <== siblings[1] + dx;
    y <== siblings[2] + dy;
    // a = s0 + hi * (s2 - s0) = s0 - dx - dy (linear).
    a <== siblings[0] - dx - dy;
}

// The four children of one level of a path: `node` at digit (lo + 2 hi) among the siblings
// laid out by QuadSiblingLayout. Inputs: node: field; lo, hi: boolean (caller-constrained);
// x, y, a: QuadSiblingLayout's outputs for the same hi. 3 constraints.
template QuadChildren() {
    signal input node;
    signal input lo;
    signal input hi;
    signal input x;
    signal input y;
    signal input a;
    signal output child[4];

    // The node's pair (l, r) = lo ? (a, node) : (node, a).
    signal swap <== lo * (a - node);
    var l = node + swap;
    var r = a - swap;
    // (c0, c1, c2, c3) = hi ? (x, y, l, r) : (l, r, x, y).
    signal t0 <== hi * (x - l);
    signal t1 <== hi * (y - r);
    child[0] <== l + t0;
    child[1] <== r + t1;
    child[2] <== x - t0;
    child[3] <== y - t1;
}

// Root of a 4-ary Poseidon tree of `levels` levels from a leaf, its index bits and its
// sibling triples (conventions at the top of this file).
// Inputs: leaf: field; bits: boolean (caller-constrained, e.g. Num2Bits(2 * levels) of the
// index); siblings: field. Caveat: non-boolean bits make the root meaningless, the caller
// must constrain them.
template QuadMerkleRoot(levels) {
    assert(levels >= 1);
    signal input leaf;
    signal input bits[2 * levels];
    signal input siblings[levels][3];
    signal output root;

    component layout[levels];
    component kids[levels];
    component h[levels];
    for (var l = 0; l < levels; l++) {
        layout[l] = QuadSiblingLayout();
        layout[l].siblings <== siblings[l];
        layout[l].hi <== bits[2 * l + 1];
        kids[l] = QuadChildren();
        kids[l].node <== l == 0 ? leaf : h[l - 1].out;
        kids[l].lo <== bits[2 * l];
        kids[l].hi <== bits[2 * l + 1];
        kids[l].x <== layout[l].x;
        kids[l].y <== layout[l].y;
        kids[l].a <== layout[l].a;
        h[l] = Poseidon(4);
        h[l].inputs <== kids[l].child;
    }
    root <== h[levels - 1].out;
}

// Replaces one leaf of a 4-ary tree, the counterpart of merkle.circom's MerkleUpdate: when
// `enabled`, constrains `oldLeaf` to sit at the path under `rootIn` and outputs the root with
// `newLeaf` there; when not, outputs `rootIn` unchanged and constrains nothing about the path
// (leaves and siblings are free). The sibling layout is shared by the old and new paths.
// Inputs: enabled: boolean (caller-constrained); bits[2 * levels]: boolean (caller-
// constrained; least significant first, digit l = bits[2l] + 2 bits[2l + 1]);
// siblings[levels][3]: field. Cost: 2 Poseidon(4) + 8 a level, + 2.
template QuadMerkleUpdate(levels) {
    assert(levels >= 1);
    signal input enabled;
    signal input rootIn;
    signal input oldLeaf;
    signal input newLeaf;
    signal input bits[2 * levels];
    signal input siblings[levels][3];
    signal output rootOut;

    component layout[levels];
    component oldKids[levels];
    component newKids[levels];
    component oldH[levels];
    component newH[levels];
    for (var l = 0; l < levels; l++) {
        layout[l] = QuadSiblingLayout();
        layout[l].siblings <== siblings[l];
        layout[l].hi <== bits[2 * l + 1];
        oldKids[l] = QuadChildren();
        newKids[l] = QuadChildren();
        oldKids[l].node <== l == 0 ? oldLeaf : oldH[l - 1].out;
        newKids[l].node <== l == 0 ? newLeaf : newH[l - 1].out;
        oldKids[l].lo <== bits[2 * l];
        newKids[l].lo <== bits[2 * l];
        oldKids[l].hi <== bits[2 * l + 1];
        newKids[l].hi <== bits[2 * l + 1];
        oldKids[l].x <== layout[l].x;
        newKids[l].x <== layout[l].x;
        oldKids[l].y <== layout[l].y;
        newKids[l].y <== layout[l].y;
        oldKids[l].a <== layout[l].a;
        newKids[l].a <== layout[l].a;
        oldH[l] = Poseidon(4);
        newH[l] = Poseidon(4);
        oldH[l].inputs <== oldKids[l].child;
        newH[l].inputs <== newKids[l].child;
    }
    enabled * (oldH[levels - 1].out - rootIn) === 0;
    rootOut <== rootIn + enabled * (newH[levels - 1].out - rootIn);
}

// Index digits to the bits QuadMerkleRoot/QuadMerkleUpdate take, for a caller that has the
// index as base-4 digits rather than bits: constrains every digit to 0..3 (a digit of 4 or
// more, or a field element, has no 2-bit decomposition and is refused) and outputs its bits,
// low first. Unconditional, like slot.circom's Num2Bits of the account index.
// Inputs: digits[levels]: any field element (range-checked here). 2 constraints a digit.
template QuadDigitsToBits(levels) {
    assert(levels >= 1);
    signal input digits[levels];
    signal output bits[2 * levels];

    for (var l = 0; l < levels; l++) {
        bits[2 * l] <-- digits[l] & 1;
        bits[2 * l + 1] <-- (digits[l] >> 1) & 1;
        // Pinned: both bits boolean and digit = lo + 2 hi, so digit is in 0..3 and the bits
        // are its binary digits.
        bits[2 * l] * (bits[2 * l] - 1) === 0;
        bits[2 * l + 1] * (bits[2 * l + 1] - 1) === 0;
        digits[l] === bits[2 * l] + 2 * bits[2 * l + 1];
    }
}
