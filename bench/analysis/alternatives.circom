pragma circom 2.1.0;

// Templates that exist only to be measured by bench/circuitCost.ts (docs/cost.md): design
// alternatives and additions to the batch circuit, written at their realistic parameters.
// None of them is used by circuits/; they are compiled standalone under build/analysis/.
// Each is written so that its constraint count is what the alternative would really cost
// (the same checks a production version would need), not to be a finished component.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/sha256/sha256.circom";

// ---------------------------------------------------------------------------------------
// k-ary Merkle trees (arity A = 2^logA): one Poseidon(A) per level.
// ---------------------------------------------------------------------------------------

// One-hot decoding of logA bits (caller constrains them boolean): A - 2 constraints or so.
template OneHotOfBits(logA) {
    var A = 1 << logA;
    signal input bits[logA];
    signal output e[A];
    signal stage[logA + 1][A];
    stage[0][0] <== 1;
    for (var m = 0; m < logA; m++) {
        var width = 1 << m;
        for (var j = 0; j < width; j++) {
            // bit m set: index j + width; clear: index j.
            stage[m + 1][j + width] <== stage[m][j] * bits[m];
            stage[m + 1][j] <== stage[m][j] - stage[m + 1][j + width];
        }
    }
    for (var j = 0; j < A; j++) e[j] <== stage[logA][j];
}

// Children of a k-ary node: `node` at the one-hot position `e`, the A - 1 siblings in order
// around it. child_j = lt_j * sib_{j-1} + e_j * node + gt_j * sib_j with lt_j = [pos < j],
// gt_j = [pos > j] (linear in e): two products per child.
template KaryChildren(A) {
    signal input node;
    signal input e[A];
    signal input siblings[A - 1];
    signal output child[A];
    signal t[A];
    var lt = 0;
    for (var j = 0; j < A; j++) {
        var gt = 1 - lt - e[j];
        if (j == 0) {
            // child_0 = e_0 * node + (1 - e_0) * sib_0
            t[j] <== e[j] * (node - siblings[0]);
            child[j] <== siblings[0] + t[j];
        } else if (j == A - 1) {
            // child_{A-1} = lt * sib_{A-2} + e * node, lt = 1 - e
            t[j] <== e[j] * (node - siblings[A - 2]);
            child[j] <== siblings[A - 2] + t[j];
        } else {
            t[j] <== e[j] * (node - siblings[j - 1]);
            child[j] <== siblings[j - 1] + t[j] + gt * (siblings[j] - siblings[j - 1]);
        }
        lt = lt + e[j];
    }
}

// Root of a k-ary Poseidon tree from a leaf (levels of logA index bits each, caller-constrained).
template KaryMerkleRoot(logA, levels) {
    var A = 1 << logA;
    signal input leaf;
    signal input bits[levels * logA];
    signal input siblings[levels][A - 1];
    signal output root;
    component pos[levels];
    component kids[levels];
    component h[levels];
    for (var l = 0; l < levels; l++) {
        pos[l] = OneHotOfBits(logA);
        for (var b = 0; b < logA; b++) pos[l].bits[b] <== bits[l * logA + b];
        kids[l] = KaryChildren(A);
        kids[l].node <== l == 0 ? leaf : h[l - 1].out;
        for (var j = 0; j < A; j++) kids[l].e[j] <== pos[l].e[j];
        for (var j = 0; j < A - 1; j++) kids[l].siblings[j] <== siblings[l][j];
        h[l] = Poseidon(A);
        for (var j = 0; j < A; j++) h[l].inputs[j] <== kids[l].child[j];
    }
    root <== h[levels - 1].out;
}

// The k-ary counterpart of circuits/lib/merkle.circom's MerkleUpdate (old and new root along
// one path, gated by `enabled`). The one-hot position of each level is shared by both paths.
template KaryMerkleUpdate(logA, levels) {
    var A = 1 << logA;
    signal input enabled;
    signal input rootIn;
    signal input oldLeaf;
    signal input newLeaf;
    signal input bits[levels * logA];
    signal input siblings[levels][A - 1];
    signal output rootOut;
    component pos[levels];
    component oldKids[levels];
    component newKids[levels];
    component oldH[levels];
    component newH[levels];
    for (var l = 0; l < levels; l++) {
        pos[l] = OneHotOfBits(logA);
        for (var b = 0; b < logA; b++) pos[l].bits[b] <== bits[l * logA + b];
        oldKids[l] = KaryChildren(A);
        newKids[l] = KaryChildren(A);
        oldKids[l].node <== l == 0 ? oldLeaf : oldH[l - 1].out;
        newKids[l].node <== l == 0 ? newLeaf : newH[l - 1].out;
        for (var j = 0; j < A; j++) {
            oldKids[l].e[j] <== pos[l].e[j];
            newKids[l].e[j] <== pos[l].e[j];
        }
        for (var j = 0; j < A - 1; j++) {
            oldKids[l].siblings[j] <== siblings[l][j];
            newKids[l].siblings[j] <== siblings[l][j];
        }
        oldH[l] = Poseidon(A);
        newH[l] = Poseidon(A);
        for (var j = 0; j < A; j++) {
            oldH[l].inputs[j] <== oldKids[l].child[j];
            newH[l].inputs[j] <== newKids[l].child[j];
        }
    }
    enabled * (oldH[levels - 1].out - rootIn) === 0;
    rootOut <== rootIn + enabled * (newH[levels - 1].out - rootIn);
}

// Binary tree root from all 2^depth leaves (used to open a whole positions subtree).
template TreeFromLeaves(depth) {
    var n = 1 << depth;
    signal input leaves[n];
    signal output root;
    component h[n - 1];
    var k = 0;
    var level[256];
    for (var i = 0; i < n; i++) level[i] = leaves[i];
    // Hash pairs level by level; component index k runs over every internal node.
    for (var width = n; width > 1; width = width >> 1) {
        for (var i = 0; i < width / 2; i++) {
            h[k] = Poseidon(2);
            h[k].inputs[0] <== level[2 * i];
            h[k].inputs[1] <== level[2 * i + 1];
            level[i] = h[k].out;
            k++;
        }
    }
    root <== level[0];
}

// Opening every position of an account, binary subtree (today's layout): the 2^depth leaf
// hashes H(seriesId, size) and the tree above them. Margin needs every position.
template PositionsOpenTree(depth) {
    var n = 1 << depth;
    signal input seriesId[n];
    signal input size[n];
    signal output root;
    component leaf[n];
    component tree = TreeFromLeaves(depth);
    for (var i = 0; i < n; i++) {
        leaf[i] = Poseidon(2);
        leaf[i].inputs[0] <== seriesId[i];
        leaf[i].inputs[1] <== size[i];
        tree.leaves[i] <== leaf[i].out;
    }
    root <== tree.root;
}

// The same with the positions kept as a flat list hashed at once: Poseidon(2n), n <= 8.
template PositionsOpenFlat(n) {
    signal input seriesId[n];
    signal input size[n];
    signal output root;
    component h = Poseidon(2 * n);
    for (var i = 0; i < n; i++) {
        h.inputs[2 * i] <== seriesId[i];
        h.inputs[2 * i + 1] <== size[i];
    }
    root <== h.out;
}

// ---------------------------------------------------------------------------------------
// In-circuit initial margin (docs/cost.md): for one account with P positions,
// margin_k = collateral + sum_i size_i * value(series_i, k) >= 0 for every scenario k < K,
// each margin range-checked to W bits (W bits >= the largest possible margin).
// ---------------------------------------------------------------------------------------

// Design A: one-hot selection over the S rows of the batch's market table. The table is a
// private input (bound to the public input by a per-batch hash, TableHash below). With
// `rowSeriesSignal` = 0 row j holds series `base + j` (a window of consecutive series ids),
// so the position's row index is linear in its selector; with 1 every row carries its
// series id as a column and the match costs one product per (position, row).
// exposure_j = sum_i size_i * sel_ij (P*S products), margin_k = c + sum_j exposure_j * T_jk
// (S*K products).
template MarginOneHot(P, S, K, W, rowSeriesSignal) {
    signal input collateral;
    signal input row[P];            // the row of each position (rowSeriesSignal = 0)
    signal input seriesId[P];       // the series of each position (rowSeriesSignal = 1)
    signal input size[P];           // signed, field-encoded
    signal input rowSeries[S];
    signal input table[S][K];
    signal input sel[P][S];

    signal matched[P][S];
    signal weighted[P][S];
    for (var i = 0; i < P; i++) {
        var sum = 0;
        var idx = 0;
        var ser = 0;
        for (var j = 0; j < S; j++) {
            sel[i][j] * (sel[i][j] - 1) === 0;
            sum += sel[i][j];
            idx += j * sel[i][j];
            if (rowSeriesSignal == 1) {
                matched[i][j] <== sel[i][j] * rowSeries[j];
                ser += matched[i][j];
            }
            weighted[i][j] <== size[i] * sel[i][j];
        }
        sum === 1;
        if (rowSeriesSignal == 1) {
            ser === seriesId[i];
        } else {
            idx === row[i];
        }
    }
    signal prod[S][K];
    component nonNegative[K];
    for (var k = 0; k < K; k++) {
        var margin = collateral;
        for (var j = 0; j < S; j++) {
            var exposure = 0;
            for (var i = 0; i < P; i++) exposure += weighted[i][j];
            prod[j][k] <== exposure * table[j][k];
            margin += prod[j][k];
        }
        nonNegative[k] = Num2Bits(W);
        nonNegative[k].in <== margin;
    }
}

// Hash of `n` field elements as a Poseidon(16) chain: h = H16(h, next 15 elements).
template SpongeHash(n) {
    signal input in[n];
    signal output out;
    var calls = n <= 16 ? 1 : 1 + (n - 16 + 14) \ 15;
    component h[calls];
    var next = 0;
    for (var c = 0; c < calls; c++) {
        h[c] = Poseidon(16);
        var first = 0;
        if (c > 0) {
            h[c].inputs[0] <== h[c - 1].out;
            first = 1;
        }
        for (var s = first; s < 16; s++) {
            h[c].inputs[s] <== next < n ? in[next] : 0;
            next++;
        }
    }
    out <== h[calls - 1].out;
}

// Per batch, Design A: binds the S x (K + 1) table (mark + K scenario values) to one hash.
template TableHash(S, K) {
    signal input table[S][K + 1];
    signal output out;
    component h = SpongeHash(S * (K + 1));
    for (var j = 0; j < S; j++) for (var k = 0; k <= K; k++) h.in[j * (K + 1) + k] <== table[j][k];
    out <== h.out;
}

// Design B: each position carries its table row (series id, K values) as a private input,
// proven against the table's Merkle root (binary, depth D = log2 S, leaf = hash of the row).
template MarginCarriedRow(P, K, W, D) {
    signal input collateral;
    signal input tableRoot;
    signal input seriesId[P];
    signal input size[P];
    signal input rowIndex[P];
    signal input values[P][K];
    signal input siblings[P][D];

    component rowHash[P];
    component idxBits[P];
    component path[P][D];
    signal swap[P][D];
    for (var i = 0; i < P; i++) {
        rowHash[i] = SpongeHash(K + 1);
        rowHash[i].in[0] <== seriesId[i];
        for (var k = 0; k < K; k++) rowHash[i].in[k + 1] <== values[i][k];
        idxBits[i] = Num2Bits(D);
        idxBits[i].in <== rowIndex[i];
        for (var d = 0; d < D; d++) {
            var node = d == 0 ? rowHash[i].out : path[i][d - 1].out;
            swap[i][d] <== idxBits[i].out[d] * (siblings[i][d] - node);
            path[i][d] = Poseidon(2);
            path[i][d].inputs[0] <== node + swap[i][d];
            path[i][d].inputs[1] <== siblings[i][d] - swap[i][d];
        }
        path[i][D - 1].out === tableRoot;
    }
    signal prod[P][K];
    component nonNegative[K];
    for (var k = 0; k < K; k++) {
        var margin = collateral;
        for (var i = 0; i < P; i++) {
            prod[i][k] <== size[i] * values[i][k];
            margin += prod[i][k];
        }
        nonNegative[k] = Num2Bits(W);
        nonNegative[k].in <== margin;
    }
}

// Design A with a Taylor table (mark, delta, gamma, vega per series; protocol-fixed shocks
// dS_k, dVol_k as constants): value_jk = mark_j + delta_j dS_k + gamma_j dS_k^2 / 2 +
// vega_j dVol_k is linear in the 4 columns, so only S * 4 products remain.
template MarginOneHotTaylor(P, S, K, W) {
    signal input collateral;
    signal input row[P];
    signal input size[P];
    signal input greeks[S][4];
    signal input sel[P][S];
    signal weighted[P][S];
    for (var i = 0; i < P; i++) {
        var sum = 0;
        var idx = 0;
        for (var j = 0; j < S; j++) {
            sel[i][j] * (sel[i][j] - 1) === 0;
            sum += sel[i][j];
            idx += j * sel[i][j];
            weighted[i][j] <== size[i] * sel[i][j];
        }
        sum === 1;
        idx === row[i];
    }
    signal prod[S][4];
    for (var j = 0; j < S; j++) {
        var exposure = 0;
        for (var i = 0; i < P; i++) exposure += weighted[i][j];
        for (var c = 0; c < 4; c++) prod[j][c] <== exposure * greeks[j][c];
    }
    component nonNegative[K];
    for (var k = 0; k < K; k++) {
        // Arbitrary but fixed shocks: spot -13..13 %, vol -1..1 steps.
        var dS = (k % 9) - 4;
        var dV = (k \ 9) - 1;
        var margin = collateral;
        for (var j = 0; j < S; j++) margin += prod[j][0] + dS * prod[j][1] + dS * dS * prod[j][2] + dV * prod[j][3];
        nonNegative[k] = Num2Bits(W);
        nonNegative[k].in <== margin;
    }
}

// ---------------------------------------------------------------------------------------
// Binding the batch data with SHA-256 (as Hermez, Loopring, zkSync Lite): the slot's field
// elements are decomposed into bits and hashed. `bytes` is the message length.
// ---------------------------------------------------------------------------------------
template Sha256OfBytes(bytes) {
    signal input bits[bytes * 8];
    signal output out[256];
    component h = Sha256(bytes * 8);
    for (var i = 0; i < bytes * 8; i++) h.in[i] <== bits[i];
    for (var i = 0; i < 256; i++) out[i] <== h.out[i];
}

// The slot's two elements into the bits the SHA-256 message needs (used widths only).
template SlotDataBits(e1Bits, e2Bits) {
    signal input e1;
    signal input e2;
    signal output bits[e1Bits + e2Bits];
    component b1 = Num2Bits(e1Bits);
    b1.in <== e1;
    component b2 = Num2Bits(e2Bits);
    b2.in <== e2;
    for (var i = 0; i < e1Bits; i++) bits[i] <== b1.out[i];
    for (var i = 0; i < e2Bits; i++) bits[e1Bits + i] <== b2.out[i];
}

// ---------------------------------------------------------------------------------------
// The account leaf with one Poseidon(7) instead of Poseidon(5) over Poseidon(3).
// ---------------------------------------------------------------------------------------
template AccountLeafFlat() {
    signal input fields[7];
    signal output out;
    component h = Poseidon(7);
    for (var i = 0; i < 7; i++) h.inputs[i] <== fields[i];
    out <== h.out;
}

// The K range checks of one account's scenario margins alone (common to every design).
template MarginRangeChecks(K, W) {
    signal input margin[K];
    component nonNegative[K];
    for (var k = 0; k < K; k++) {
        nonNegative[k] = Num2Bits(W);
        nonNegative[k].in <== margin[k];
    }
}

// ---------------------------------------------------------------------------------------
// EIP-4844 binding: the circuit evaluates the blob polynomial at the challenge z in the
// BLS12-381 scalar field (non-native here). One multiplication mod q with 4 limbs of 64 bits:
// a * b = quotient * q + r, checked as a polynomial identity with carries.
// ---------------------------------------------------------------------------------------
template NonNativeMulMod() {
    // q = BLS12-381 scalar field modulus, little-endian 64-bit limbs.
    var Q[4] = [18446744069414584321, 6034159408538082302, 3691218898639771653, 8353516859464449352];
    signal input a[4];
    signal input b[4];
    signal output r[4];
    signal quotient[4];
    // Witness hints (not constrained by the assignment; the identity below constrains them).
    for (var i = 0; i < 4; i++) {
        quotient[i] <-- 0;
        r[i] <-- 0;
    }
    component rBits[4];
    component qBits[4];
    for (var i = 0; i < 4; i++) {
        rBits[i] = Num2Bits(64);
        rBits[i].in <== r[i];
        qBits[i] = Num2Bits(64);
        qBits[i].in <== quotient[i];
    }
    // Product coefficients of a(x) b(x), x = 2^64.
    signal ab[4][4];
    for (var i = 0; i < 4; i++) for (var j = 0; j < 4; j++) ab[i][j] <== a[i] * b[j];
    // c_k = sum_{i+j=k} (a_i b_j - quotient_i Q_j) - r_k; the carries make sum c_k x^k = 0:
    // c_k + carry_{k-1} = carry_k * 2^64, each carry range-checked (|carry| < 2^70, shifted).
    signal carry[7];
    component carryBits[7];
    for (var k = 0; k < 7; k++) {
        var c = 0;
        for (var i = 0; i < 4; i++) {
            var j = k - i;
            if (j >= 0 && j < 4) c += ab[i][j] - quotient[i] * Q[j];
        }
        if (k < 4) c -= r[k];
        if (k > 0) c += carry[k - 1];
        carry[k] <-- 0;
        c === carry[k] * 18446744073709551616;
        carryBits[k] = Num2Bits(72);
        carryBits[k].in <== carry[k] + (1 << 70);
    }
    carry[6] === 0;
}

// One data element's term of the barycentric evaluation sum_i d_i * w^i / (z - w^i):
// the inverse of (z - w^i) as a witness checked by one product, and d_i times it (w^i is a
// constant folded into the hint). `d` is a BN254 element, split into 64-bit limbs.
template BlobElementTerm() {
    signal input d;
    signal input z[4];
    signal input inverse[4];
    signal output term[4];
    component dBits = Num2Bits(254);
    dBits.in <== d;
    signal dl[4];
    for (var i = 0; i < 4; i++) {
        var limb = 0;
        for (var b = 0; b < 64 && 64 * i + b < 254; b++) limb += dBits.out[64 * i + b] * (1 << b);
        dl[i] <== limb;
    }
    component check = NonNativeMulMod();
    component prod = NonNativeMulMod();
    for (var i = 0; i < 4; i++) {
        check.a[i] <== z[i];
        check.b[i] <== inverse[i];
        prod.a[i] <== dl[i];
        prod.b[i] <== inverse[i];
    }
    for (var i = 0; i < 4; i++) term[i] <== prod.r[i];
}

// ---------------------------------------------------------------------------------------
// Positions as a flat list of n (seriesId, size) pairs hashed by one Poseidon(2n) (n <= 8)
// instead of a binary subtree: the counterpart of circuits/lib/subtreeUpdates.circom's
// PositionMove (same rules), which also hands every position after the move to margin.
// ---------------------------------------------------------------------------------------
template FlatPositionMove(logN) {
    var n = 1 << logN;
    signal input enabled;
    signal input rootIn;
    signal input index;
    signal input seriesId;
    signal input delta;
    signal input oldSeriesIds[n];
    signal input oldSizes[n];
    signal output rootOut;
    signal output newSeriesIds[n];
    signal output newSizes[n];

    component oldHash = PositionsOpenFlat(n);
    for (var i = 0; i < n; i++) {
        oldHash.seriesId[i] <== oldSeriesIds[i];
        oldHash.size[i] <== oldSizes[i];
    }
    enabled * (oldHash.root - rootIn) === 0;

    component indexBits = Num2Bits(logN);
    indexBits.in <== index;
    component at = OneHotOfBits(logN);
    for (var b = 0; b < logN; b++) at.bits[b] <== indexBits.out[b];
    signal pickSeries[n];
    signal pickSize[n];
    var oldSeriesId = 0;
    var oldSize = 0;
    for (var i = 0; i < n; i++) {
        pickSeries[i] <== at.e[i] * oldSeriesIds[i];
        pickSize[i] <== at.e[i] * oldSizes[i];
        oldSeriesId += pickSeries[i];
        oldSize += pickSize[i];
    }

    component seriesMatches = IsEqual();
    seriesMatches.in[0] <== oldSeriesId;
    seriesMatches.in[1] <== seriesId;
    component seriesEmpty = IsZero();
    seriesEmpty.in <== oldSeriesId;
    component sizeEmpty = IsZero();
    sizeEmpty.in <== oldSize;
    signal wasEmpty <== seriesEmpty.out * sizeEmpty.out;
    signal conflict <== (1 - seriesMatches.out) * (1 - wasEmpty);
    enabled * conflict === 0;

    signal newSize <== oldSize + delta;
    component sizeRange = Num2Bits(64);
    sizeRange.in <== newSize + (1 << 63);
    component atMinimum = IsZero();
    atMinimum.in <== newSize + (1 << 63);
    atMinimum.out === 0;
    component closed = IsZero();
    closed.in <== newSize;
    signal newSeriesId <== seriesId * (1 - closed.out);

    signal moveSeries[n];
    signal moveSize[n];
    for (var i = 0; i < n; i++) {
        moveSeries[i] <== at.e[i] * (newSeriesId - oldSeriesIds[i]);
        moveSize[i] <== at.e[i] * delta;
        newSeriesIds[i] <== oldSeriesIds[i] + moveSeries[i];
        newSizes[i] <== oldSizes[i] + moveSize[i];
    }
    component newHash = PositionsOpenFlat(n);
    for (var i = 0; i < n; i++) {
        newHash.seriesId[i] <== newSeriesIds[i];
        newHash.size[i] <== newSizes[i];
    }
    rootOut <== rootIn + enabled * (newHash.root - rootIn);
}

// ---------------------------------------------------------------------------------------
// The initial-margin rule of docs/risk.md for one account, one-hot design with a series-id
// column (rows are the batch's table, any S series): equity E = C + sum n_i mark_i,
// P_k = sum n_i (value_ik - mark_i), F = sum max(0, -n_i) shortMinimum_i, and
// E >= IM = ceil(1.25 max(0, -min_k P_k, F)) as 4E + 5 P_k >= 0 for every k and 4E - 5F >= 0
// (E, P_k, F integers). Sizes are signed 64-bit field encodings (|n| < 2^63).
// ---------------------------------------------------------------------------------------
template MarginRiskMatrix(P, S, K, W) {
    signal input collateral;
    signal input seriesId[P];
    signal input size[P];
    signal input rowSeries[S];
    signal input mark[S];
    signal input value[S][K];
    signal input shortMinimum[S];
    signal input sel[P][S];

    signal matched[P][S];
    signal weighted[P][S];
    signal shortWeighted[P][S];
    component sign[P];
    signal shortPart[P];
    for (var i = 0; i < P; i++) {
        // shortPart = max(0, -n): bit 63 of n + 2^63 is 0 exactly when n < 0.
        sign[i] = Num2Bits(64);
        sign[i].in <== size[i] + (1 << 63);
        shortPart[i] <== (1 - sign[i].out[63]) * (-size[i]);
        var sum = 0;
        var ser = 0;
        for (var j = 0; j < S; j++) {
            sel[i][j] * (sel[i][j] - 1) === 0;
            sum += sel[i][j];
            matched[i][j] <== sel[i][j] * rowSeries[j];
            ser += matched[i][j];
            weighted[i][j] <== size[i] * sel[i][j];
            shortWeighted[i][j] <== shortPart[i] * sel[i][j];
        }
        sum === 1;
        ser === seriesId[i];
    }
    signal markTerm[S];
    signal shortTerm[S];
    signal pnl[S][K];
    var equity = collateral;
    var shortMin = 0;
    for (var j = 0; j < S; j++) {
        var exposure = 0;
        var shortExposure = 0;
        for (var i = 0; i < P; i++) {
            exposure += weighted[i][j];
            shortExposure += shortWeighted[i][j];
        }
        markTerm[j] <== exposure * mark[j];
        shortTerm[j] <== shortExposure * shortMinimum[j];
        equity += markTerm[j];
        shortMin += shortTerm[j];
        for (var k = 0; k < K; k++) pnl[j][k] <== exposure * (value[j][k] - mark[j]);
    }
    component scenarioOk[K];
    for (var k = 0; k < K; k++) {
        var p = 0;
        for (var j = 0; j < S; j++) p += pnl[j][k];
        scenarioOk[k] = Num2Bits(W);
        scenarioOk[k].in <== 4 * equity + 5 * p;
    }
    component shortOk = Num2Bits(W);
    shortOk.in <== 4 * equity - 5 * shortMin;
}
