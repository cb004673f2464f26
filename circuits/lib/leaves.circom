pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Account leaf: H(pubKeyX, pubKeyY, l1Address, nonce, H(collateral, positionsRoot, orderSlotsRoot)).
// fields = [pubKeyX, pubKeyY, l1Address, nonce, collateral, positionsRoot, orderSlotsRoot].
// Constrains nothing about the fields' ranges: callers range-check what they write.
template AccountLeaf() {
    signal input fields[7];
    signal output out;

    component balance = Poseidon(3);
    balance.inputs[0] <== fields[4];
    balance.inputs[1] <== fields[5];
    balance.inputs[2] <== fields[6];
    component leaf = Poseidon(5);
    for (var i = 0; i < 4; i++) leaf.inputs[i] <== fields[i];
    leaf.inputs[4] <== balance.out;
    out <== leaf.out;
}
