pragma circom 2.1.0;

// Decodes a slot's `type` (0 noop, 1 deposit, 2 trade, 3 withdraw, 4 forced withdrawal)
// into one-hot flags: each flag boolean, exactly one set, type = sum(k * flag[k]).
template TxTypeFlags() {
    signal input type;
    signal input flags[5];

    var sum = 0;
    var weighted = 0;
    for (var k = 0; k < 5; k++) {
        flags[k] * (flags[k] - 1) === 0;
        sum += flags[k];
        weighted += k * flags[k];
    }
    sum === 1;
    type === weighted;
}
