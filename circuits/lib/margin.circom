pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "../generated/constants.circom";

// The batch's market table (docs/protocol.md, "Market table"): S rows of L = 3 + K lanes
// [seriesId, mark, shortMinimum, v_0 .. v_{K-1}]. Constrains every lane below 2^48, an
// unused row (seriesId 0) to all zeros and only after the used rows, and the used rows'
// series ids strictly increasing (so a series has at most one row). Outputs the hash of the
// packed words: lanes 5 to a word from the least significant bits, t = H(t, 4 words), t0 = 0.
template MarketTable(S, L) {
    assert(S >= 2 && L >= 4);
    signal input lanes[S][L];
    signal output hash;

    component laneBits[S][L];
    for (var j = 0; j < S; j++) {
        for (var l = 0; l < L; l++) {
            laneBits[j][l] = Num2Bits(BITS_TABLE_VALUE());
            laneBits[j][l].in <== lanes[j][l];
        }
    }
    component unused[S];
    for (var j = 0; j < S; j++) {
        unused[j] = IsZero();
        unused[j].in <== lanes[j][0];
        for (var l = 1; l < L; l++) unused[j].out * lanes[j][l] === 0;
    }
    component increasing[S - 1];
    for (var j = 0; j + 1 < S; j++) {
        // A used row follows a used row with a smaller id.
        unused[j].out * (1 - unused[j + 1].out) === 0;
        increasing[j] = LessThan(BITS_TABLE_VALUE());
        increasing[j].in[0] <== lanes[j][0];
        increasing[j].in[1] <== lanes[j + 1][0];
        (1 - unused[j + 1].out) * (1 - increasing[j].out) === 0;
    }

    var perWord = TABLE_LANES_PER_WORD();
    var perHash = TABLE_WORDS_PER_HASH();
    var words = (S * L + perWord - 1) \ perWord;
    words = (words + perHash - 1) \ perHash * perHash;
    var packed[words];
    for (var w = 0; w < words; w++) packed[w] = 0;
    for (var i = 0; i < S * L; i++) {
        packed[i \ perWord] += lanes[i \ L][i % L] * (1 << (BITS_TABLE_VALUE() * (i % perWord)));
    }
    component chain[words \ perHash];
    for (var c = 0; c < words \ perHash; c++) {
        chain[c] = Poseidon(1 + perHash);
        chain[c].inputs[0] <== c == 0 ? 0 : chain[c - 1].out;
        for (var i = 0; i < perHash; i++) chain[c].inputs[1 + i] <== packed[c * perHash + i];
    }
    hash <== chain[words \ perHash - 1].out;
}

// The K + 1 margin checks of one account under the market table (docs/protocol.md,
// "Margin"): checks[k] = 10000 E + factor P_k (k < K) and checks[K] = 10000 E - factor F, with
// E = collateral + sum n_i m_i, P_k = sum n_i (v_ik - m_i), F = sum max(0, -n_i) f_i over the
// position slots (series_i, n_i). The account meets the factor when every check is >= 0.
// Constrains: rowSelect[i] one-hot, and a slot with a nonzero size selects the row of its
// series; isShort[i] is the sign of n_i (|n_i| < 2^63 checked here, which pins it).
// Inputs: positions as stored (sizes of magnitude below 2^63); table lanes below 2^48
// (MarketTable); collateral below 2^64 and factor below 2^16 (caller). Then every check
// has magnitude below 2^132 (Bits.marginCheck in state/params.ts): the caller range-checks
// the checks it requires.
template MarginChecks(P, S, K) {
    signal input collateral;
    signal input positions[P][2];
    signal input rowSelect[P][S];
    signal input isShort[P];
    signal input table[S][3 + K];
    signal input factor;
    signal output checks[K + 1];

    // Row of each slot, and the short part max(0, -n_i).
    signal matchedSeries[P][S];
    signal shortPart[P];
    component magnitude[P];
    for (var i = 0; i < P; i++) {
        var ones = 0;
        var series = 0;
        for (var j = 0; j < S; j++) {
            rowSelect[i][j] * (1 - rowSelect[i][j]) === 0;
            ones += rowSelect[i][j];
            matchedSeries[i][j] <== rowSelect[i][j] * table[j][0];
            series += matchedSeries[i][j];
        }
        ones === 1;
        positions[i][1] * (positions[i][0] - series) === 0;

        isShort[i] * (1 - isShort[i]) === 0;
        shortPart[i] <== -isShort[i] * positions[i][1];
        magnitude[i] = Num2Bits(BITS_POSITION_MAGNITUDE());
        // |n_i| = n_i + 2 max(0, -n_i).
        magnitude[i].in <== positions[i][1] + 2 * shortPart[i];
    }

    // Net exposure and short exposure per row.
    signal exposureTerm[P][S];
    signal shortTerm[P][S];
    signal exposure[S];
    signal shortExposure[S];
    for (var j = 0; j < S; j++) {
        var e = 0;
        var f = 0;
        for (var i = 0; i < P; i++) {
            exposureTerm[i][j] <== rowSelect[i][j] * positions[i][1];
            shortTerm[i][j] <== rowSelect[i][j] * shortPart[i];
            e += exposureTerm[i][j];
            f += shortTerm[i][j];
        }
        exposure[j] <== e;
        shortExposure[j] <== f;
    }

    signal markTerm[S];
    signal minimumTerm[S];
    signal pnlTerm[S][K];
    var markValue = 0;
    var shortMinimumSum = 0;
    for (var j = 0; j < S; j++) {
        markTerm[j] <== exposure[j] * table[j][1];
        minimumTerm[j] <== shortExposure[j] * table[j][2];
        markValue += markTerm[j];
        shortMinimumSum += minimumTerm[j];
    }
    signal equity <== BPS_DENOMINATOR() * (collateral + markValue);
    signal pnl[K];
    signal scaledPnl[K];
    for (var k = 0; k < K; k++) {
        var sum = 0;
        for (var j = 0; j < S; j++) {
            pnlTerm[j][k] <== exposure[j] * (table[j][3 + k] - table[j][1]);
            sum += pnlTerm[j][k];
        }
        pnl[k] <== sum;
        scaledPnl[k] <== factor * pnl[k];
        checks[k] <== equity + scaledPnl[k];
    }
    signal shortMinimum <== shortMinimumSum;
    signal scaledMinimum <== factor * shortMinimum;
    checks[K] <== equity - scaledMinimum;
}

// Range-checks each value to [0, 2^BITS_MARGIN_CHECK()) when enabled (1), nothing when 0.
template NonNegativeWhen(n) {
    signal input enabled;
    signal input values[n];
    component bits[n];
    signal gated[n];
    for (var k = 0; k < n; k++) {
        gated[k] <== enabled * values[k];
        bits[k] = Num2Bits(BITS_MARGIN_CHECK());
        bits[k].in <== gated[k];
    }
}
