/*
 * Poseidon over BN254 as a Node-API addon: the same optimized permutation as the wasm one
 * (crypto/poseidon/permutationCode.ts, after circomlibjs's poseidon_opt.js), on 4 limbs of
 * 64 bits with 64x64->128 products, where wasm has 9 limbs of 29 bits.
 *
 * The addon holds no constant of its own: the modulus, its Montgomery constants and every
 * width's round constants and matrices come from TypeScript (crypto/poseidon/native.ts) in
 * two ArrayBuffers, so circomlibjs stays their one source. It keeps no state between calls,
 * which makes it safe in every worker thread at once.
 *
 * Elements are in Montgomery form x * 2^256 mod p and kept below 2p between operations
 * (p < 2^254, so 4p < 2^256 and a Montgomery product of two values below 2p is again below
 * 2p: lazy reduction, as the wasm does). docs/hashing.md works out the bounds.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 u128;
typedef uint64_t u64;

/* The field words at the start of the I/O buffer (written once by native.ts). */
typedef struct {
  u64 p[4];
  u64 p2[4];  /* 2p */
  u64 r2[4];  /* 2^512 mod p: a Montgomery product by it converts into Montgomery form */
  u64 inv;    /* -p^-1 mod 2^64 */
  u64 pad[3];
} Field;

#define IO_INPUTS_AT 16 /* words: Field, then up to 16 inputs of 4 words; the result overwrites input 0 */
#define TABLE_HEADER 4  /* words: t, full rounds, partial rounds, 0; then C, S, M^T, P^T */
#define MAX_FULL_ROUNDS 64     /* circomlib's widths have 8 */
#define MAX_PARTIAL_ROUNDS 256 /* and 56 to 68 */

/* r = a - b; returns the borrow. */
static inline u64 sub4(u64 r[4], const u64 a[4], const u64 b[4]) {
  u64 borrow = 0;
  for (int i = 0; i < 4; i++) {
    u128 d = (u128)a[i] - b[i] - borrow;
    r[i] = (u64)d;
    borrow = (u64)(d >> 64) & 1;
  }
  return borrow;
}

/* x := x - m when x >= m. */
static inline void reduce_once(u64 x[4], const u64 m[4]) {
  u64 d[4];
  if (!sub4(d, x, m)) x[0] = d[0], x[1] = d[1], x[2] = d[2], x[3] = d[3];
}

/* r = a + b mod 2p for a, b below 2p (the sum is below 4p < 2^256: no carry out). */
static inline void add(u64 r[4], const u64 a[4], const u64 b[4], const Field *f) {
  u64 carry = 0;
  for (int i = 0; i < 4; i++) {
    u128 s = (u128)a[i] + b[i] + carry;
    r[i] = (u64)s;
    carry = (u64)(s >> 64);
  }
  reduce_once(r, f->p2);
}

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__)
/*
 * The Montgomery product in x86-64 assembly (CIOS), of one product or of a sum of up to 4:
 * word I of each b_k times a_k is added into t (CIOS_TERM), then t := (t + m * p) / 2^64 with
 * m = t0 * (-p^-1) mod 2^64 (CIOS_REDUCE), each in two carry chains at once (mulx leaves the
 * flags alone; adox carries the low words, adcx the high words). Bounds: with a_k < p (a
 * constant), b_k < 2p and N <= 4, or with one term a < 2p, every sum stays below 2^320, so
 * nothing carries out of T4 (docs/hashing.md).
 */
#define CIOS_TERM(K, I, T0, T1, T2, T3, T4)                                                        \
  "movq 32*" #K "+8*" #I "(%[b]), %%rdx\n\t"                                                     \
  "xorl %k[lo], %k[lo]\n\t"                                                                      \
  "mulxq 32*" #K "(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" T0 "]\n\tadcxq %[hi], %[" T1 "]\n\t"    \
  "mulxq 32*" #K "+8(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" T1 "]\n\tadcxq %[hi], %[" T2 "]\n\t"  \
  "mulxq 32*" #K "+16(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" T2 "]\n\tadcxq %[hi], %[" T3 "]\n\t" \
  "mulxq 32*" #K "+24(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" T3 "]\n\tadcxq %[hi], %[" T4 "]\n\t" \
  "adoxq %[zero], %[" T4 "]\n\t"
#define CIOS_REDUCE(T0, T1, T2, T3, T4)                                                       \
  "movq %[" T0 "], %%rdx\n\timulq %[inv], %%rdx\n\t"                                       \
  "xorl %k[lo], %k[lo]\n\t"                                                                \
  "mulxq 0(%[p]), %[lo], %[hi]\n\tadoxq %[lo], %[" T0 "]\n\tadcxq %[hi], %[" T1 "]\n\t"     \
  "mulxq 8(%[p]), %[lo], %[hi]\n\tadoxq %[lo], %[" T1 "]\n\tadcxq %[hi], %[" T2 "]\n\t"     \
  "mulxq 16(%[p]), %[lo], %[hi]\n\tadoxq %[lo], %[" T2 "]\n\tadcxq %[hi], %[" T3 "]\n\t"    \
  "mulxq 24(%[p]), %[lo], %[hi]\n\tadoxq %[lo], %[" T3 "]\n\tadcxq %[hi], %[" T4 "]\n\t"    \
  "adoxq %[zero], %[" T4 "]\n\t"
/* The terms of word I of every b_k, k < N. */
#define CIOS_TERMS_1(I, ...) CIOS_TERM(0, I, __VA_ARGS__)
#define CIOS_TERMS_2(I, ...) CIOS_TERMS_1(I, __VA_ARGS__) CIOS_TERM(1, I, __VA_ARGS__)
#define CIOS_TERMS_3(I, ...) CIOS_TERMS_2(I, __VA_ARGS__) CIOS_TERM(2, I, __VA_ARGS__)
#define CIOS_TERMS_4(I, ...) CIOS_TERMS_3(I, __VA_ARGS__) CIOS_TERM(3, I, __VA_ARGS__)
/*
 * The CIOS steps of sum_k a_k * b_k / 2^256 for N terms, t in five registers: T4 is zero on
 * entry of a step and T0 zero on exit, so the next step takes T1..T4, T0 (no shift).
 */
#define CIOS(N)                                                                               \
  CIOS_TERMS_##N(0, "t0", "t1", "t2", "t3", "t4") CIOS_REDUCE("t0", "t1", "t2", "t3", "t4")  \
  CIOS_TERMS_##N(1, "t1", "t2", "t3", "t4", "t0") CIOS_REDUCE("t1", "t2", "t3", "t4", "t0")  \
  CIOS_TERMS_##N(2, "t2", "t3", "t4", "t0", "t1") CIOS_REDUCE("t2", "t3", "t4", "t0", "t1")  \
  CIOS_TERMS_##N(3, "t3", "t4", "t0", "t1", "t2") CIOS_REDUCE("t3", "t4", "t0", "t1", "t2")
#define CIOS_ASM(N, out, x, y, field)                                                                    \
  do {                                                                                             \
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, lo, hi;                                            \
    __asm__(CIOS(N)                                                                                \
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4),      \
              [lo] "=&r"(lo), [hi] "=&r"(hi)                                                       \
            : [a] "r"(x), [b] "r"(y), [p] "r"(field->p), [inv] "rm"(field->inv), [zero] "r"((u64)0),       \
              "m"(*(const u64(*)[4 * N])x), "m"(*(const u64(*)[4 * N])y), "m"(*(const u64(*)[4])field->p) \
            : "rdx", "cc");                                                                        \
    out[0] = t4, out[1] = t0, out[2] = t1, out[3] = t2;                                                    \
  } while (0)

/*
 * Montgomery product r = a * b / 2^256 mod p, for a < 2p and b < 2^256: below
 * a * b / 2^256 + p, so below 2p when b < 2p too, or when a < p.
 */
static inline void mul(u64 r[4], const u64 a[4], const u64 b[4], const Field *f) {
  CIOS_ASM(1, r, a, b, f);
}

/* r = sum of n <= 4 products coef[k] * x[k] / 2^256 mod p (coef[k] < p, x[k] < 2p): below
 * (2n * 0.19 + 1)p < 2.6p, brought below 2p by two conditional subtractions. */
static void dot4(u64 r[4], const u64 *coef, const u64 *x, int n, const Field *f) {
  switch (n) {
    case 1: CIOS_ASM(1, r, coef, x, f); break;
    case 2: CIOS_ASM(2, r, coef, x, f); break;
    case 3: CIOS_ASM(3, r, coef, x, f); break;
    default: CIOS_ASM(4, r, coef, x, f); break;
  }
  reduce_once(r, f->p2);
  reduce_once(r, f->p2);
}
#else
/* Montgomery product (CIOS) in portable C; the same bounds as the assembly one. */
static inline void mul(u64 r[4], const u64 a[4], const u64 b[4], const Field *f) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  for (int i = 0; i < 4; i++) {
    u128 c;
    c = (u128)a[0] * b[i] + t0; t0 = (u64)c;
    c = (u128)a[1] * b[i] + t1 + (u64)(c >> 64); t1 = (u64)c;
    c = (u128)a[2] * b[i] + t2 + (u64)(c >> 64); t2 = (u64)c;
    c = (u128)a[3] * b[i] + t3 + (u64)(c >> 64); t3 = (u64)c;
    t4 = (u64)(c >> 64);
    u64 m = t0 * f->inv;
    c = (u128)m * f->p[0] + t0;
    c = (u128)m * f->p[1] + t1 + (u64)(c >> 64); t0 = (u64)c;
    c = (u128)m * f->p[2] + t2 + (u64)(c >> 64); t1 = (u64)c;
    c = (u128)m * f->p[3] + t3 + (u64)(c >> 64); t2 = (u64)c;
    c = (u128)t4 + (u64)(c >> 64); t3 = (u64)c;
  }
  r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
}

/* (c2:s) += x * y: a 192-bit column sum. */
#define MAC(s, c2, x, y)          \
  do {                            \
    u128 pr_ = (u128)(x) * (y);   \
    s += pr_;                     \
    c2 += s < pr_;                \
  } while (0)

/*
 * r = sum of N <= 4 products coef[k] * x[k] / 2^256 mod p, in one Montgomery reduction
 * (product scanning, the "FIPS" order: column by column, the reduction's products in the
 * same columns). The sum of 4 products of values below 2p is below 2^512 * 0.58, so the
 * reduced value is below 4.1p < 2^256; two conditional subtractions bring it below 2p.
 */
static inline __attribute__((always_inline)) void dot_n(u64 r[4], const u64 *coef, const u64 *x, const int n, const Field *f) {
  u64 m[4];
  u128 s = 0;
  u64 c2 = 0;
  for (int col = 0; col < 8; col++) {
    int lo = col > 3 ? col - 3 : 0, hi = col < 3 ? col : 3;
    for (int k = 0; k < n; k++)
      for (int i = lo; i <= hi; i++) MAC(s, c2, coef[4 * k + i], x[4 * k + col - i]);
    for (int i = lo; i <= hi && i < col; i++)
      if (i < 4 && col - i < 4) MAC(s, c2, m[i], f->p[col - i]);
    if (col < 4) {
      m[col] = (u64)s * f->inv;
      MAC(s, c2, m[col], f->p[0]);
    } else {
      r[col - 4] = (u64)s;
    }
    s = (s >> 64) | ((u128)c2 << 64);
    c2 = 0;
  }
  reduce_once(r, f->p2);
  reduce_once(r, f->p2);
}

static void dot4(u64 r[4], const u64 *coef, const u64 *x, int n, const Field *f) {
  switch (n) {
    case 1: dot_n(r, coef, x, 1, f); break;
    case 2: dot_n(r, coef, x, 2, f); break;
    case 3: dot_n(r, coef, x, 3, f); break;
    default: dot_n(r, coef, x, 4, f); break;
  }
}

#endif

/* r = sum of n products coef[i] * x[i] (Montgomery), in chunks of 4; below 2p. */
static void dot(u64 r[4], const u64 *coef, const u64 *x, int n, const Field *f) {
  int first = n < 4 ? n : 4;
  dot4(r, coef, x, first, f);
  for (int k = first; k < n; k += 4) {
    u64 part[4];
    dot4(part, coef + 4 * k, x + 4 * k, n - k < 4 ? n - k : 4, f);
    add(r, r, part, f);
  }
}

/* x := x^5 (+ c when c is not NULL). */
static inline void sbox(u64 x[4], const u64 *c, const Field *f) {
  u64 x2[4], x4[4];
  mul(x2, x, x, f);
  mul(x4, x2, x2, f);
  mul(x, x4, x, f);
  if (c) add(x, x, c, f);
}

/* One full round: S-box on every element (plus the next constants when c), then the matrix. */
static void full_round(u64 *st, u64 *next, int t, const u64 *c, const u64 *matrix, const Field *f) {
  for (int i = 0; i < t; i++) sbox(st + 4 * i, c ? c + 4 * i : NULL, f);
  for (int i = 0; i < t; i++) dot(next + 4 * i, matrix + 4 * t * i, st, t, f);
  for (int i = 0; i < 4 * t; i++) st[i] = next[i];
}

/* The permutation of Poseidon(t - 1) on the inputs at io + IO_INPUTS_AT; leaves the hash there. */
static void permute(u64 *io, const u64 *table) {
  const Field *f = (const Field *)io;
  int t = (int)table[0], rounds_f = (int)table[1], rounds_p = (int)table[2];
  const u64 *c = table + TABLE_HEADER;
  const u64 *s = c + 4 * (t * rounds_f + rounds_p);
  const u64 *mt = s + 4 * (2 * t - 1) * rounds_p;
  const u64 *pt = mt + 4 * t * t;
  u64 st[4 * 17], next[4 * 17];
  u64 *in = io + IO_INPUTS_AT;

  st[0] = st[1] = st[2] = st[3] = 0;
  for (int i = 1; i < t; i++) mul(st + 4 * i, f->r2, in + 4 * (i - 1), f);
  for (int i = 0; i < t; i++, c += 4) add(st + 4 * i, st + 4 * i, c, f);
  for (int r = 0; r < rounds_f / 2 - 1; r++, c += 4 * t) full_round(st, next, t, c, mt, f);
  full_round(st, next, t, c, pt, f);
  c += 4 * t;
  for (int r = 0; r < rounds_p; r++, c += 4, s += 4 * (2 * t - 1)) {
    u64 s0[4];
    sbox(st, c, f);
    dot(s0, s, st, t, f);
    for (int k = 1; k < t; k++) {
      u64 y[4];
      mul(y, st, s + 4 * (t + k - 1), f);
      add(st + 4 * k, st + 4 * k, y, f);
    }
    st[0] = s0[0], st[1] = s0[1], st[2] = s0[2], st[3] = s0[3];
  }
  for (int r = 0; r < rounds_f / 2 - 1; r++, c += 4 * t) full_round(st, next, t, c, mt, f);
  for (int i = 0; i < t; i++) sbox(st + 4 * i, NULL, f);
  u64 out[4], one[4] = {1, 0, 0, 0};
  dot(out, mt, st, t, f);
  mul(in, out, one, f);
  reduce_once(in, f->p);
}

static napi_value permute_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *io, *table;
  size_t io_bytes, table_bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_arraybuffer_info(env, argv[0], &io, &io_bytes) != napi_ok ||
      napi_get_arraybuffer_info(env, argv[1], &table, &table_bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "permute(io: ArrayBuffer, table: ArrayBuffer)");
    return NULL;
  }
  const u64 *words = (const u64 *)table;
  u64 t = table_bytes >= 8 * TABLE_HEADER ? words[0] : 0;
  /* Round counts are bounded before any size is computed from them (no overflow). */
  u64 rounds_f = t ? words[1] : 0, rounds_p = t ? words[2] : 0;
  if (t < 2 || t > 17 || rounds_f < 2 || rounds_f > MAX_FULL_ROUNDS || rounds_f % 2 || rounds_p > MAX_PARTIAL_ROUNDS) {
    napi_throw_range_error(env, NULL, "permute: the table names no width of 2..17 with sane round counts");
    return NULL;
  }
  if (io_bytes < 8 * (IO_INPUTS_AT + 4 * 16) ||
      table_bytes < 8 * (TABLE_HEADER + 4 * (t * rounds_f + rounds_p + (2 * t - 1) * rounds_p + 2 * t * t))) {
    napi_throw_range_error(env, NULL, "permute: buffers too small for their width");
    return NULL;
  }
  permute((u64 *)io, words);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "permute", NAPI_AUTO_LENGTH, permute_js, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "permute", fn) != napi_ok) return NULL;
  return exports;
}
