pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// One level of a Merkle path: orders (node, sibling) by the path bit and hashes them.
// Inputs: node, sibling: field; bit: boolean (the caller constrains it, e.g. from Num2Bits).
template MerkleLevel() {
    signal input node;
    signal input sibling;
    signal input bit;
    signal output parent;

    // left = bit ? sibling : node; right = bit ? node : sibling.
    signal swap <== bit * (sibling - node);
    component h = Poseidon(2);
    h.inputs[0] <== node + swap;
    h.inputs[1] <== sibling - swap;
    parent <== h.out;
}

// Root of a binary Poseidon tree of `depth` from a leaf, its index bits (LSB = leaf level)
// and its siblings. Caveat: the caller must constrain `bits` to be boolean.
template MerkleRoot(depth) {
    assert(depth >= 1);
    signal input leaf;
    signal input bits[depth];
    signal input siblings[depth];
    signal output root;

    component levels[depth];
    for (var i = 0; i < depth; i++) {
        levels[i] = MerkleLevel();
        levels[i].node <== i == 0 ? leaf : levels[i - 1].parent;
        levels[i].sibling <== siblings[i];
        levels[i].bit <== bits[i];
    }
    root <== levels[depth - 1].parent;
}

// Replaces one leaf of a tree: when `enabled`, constrains `oldLeaf` to sit at the path under
// `rootIn` and outputs the root with `newLeaf` there; when not, outputs `rootIn` unchanged
// and constrains nothing about the path.
// Inputs: enabled: boolean (caller-constrained); bits: boolean (caller-constrained).
template MerkleUpdate(depth) {
    signal input enabled;
    signal input rootIn;
    signal input oldLeaf;
    signal input newLeaf;
    signal input bits[depth];
    signal input siblings[depth];
    signal output rootOut;

    component oldRoot = MerkleRoot(depth);
    component newRoot = MerkleRoot(depth);
    oldRoot.leaf <== oldLeaf;
    newRoot.leaf <== newLeaf;
    for (var i = 0; i < depth; i++) {
        oldRoot.bits[i] <== bits[i];
        oldRoot.siblings[i] <== siblings[i];
        newRoot.bits[i] <== bits[i];
        newRoot.siblings[i] <== siblings[i];
    }
    enabled * (oldRoot.root - rootIn) === 0;
    rootOut <== rootIn + enabled * (newRoot.root - rootIn);
}
