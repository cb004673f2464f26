pragma circom 2.1.0;

// Decodes a slot's `type` (0 noop, 1 deposit, 2 trade, 3 withdraw, 4 forced withdrawal,
// 5 cancel; TxType in state/params.ts) into one-hot flags: each flag boolean, exactly one
// set, type = sum(k * flag[k]).
template TxTypeFlags(nKinds) {
    assert(nKinds >= 1);
    signal input type;
    signal input flags[nKinds];

    var sum = 0;
    var weighted = 0;
    for (var k = 0; k < nKinds; k++) {
        flags[k] * (flags[k] - 1) === 0;
        sum += flags[k];
        weighted += k * flags[k];
    }
    sum === 1;
    type === weighted;
}
