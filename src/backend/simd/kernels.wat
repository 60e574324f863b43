;; strata's own SIMD kernels for TensorFlow.js's wasm backend. The module imports
;; the backend's memory, so it reads and writes tensors where they live (every
;; address is a byte offset into that heap) and copies nothing. `npm run build`
;; compiles it twice (scripts/compile-wasm.ts): with MEMORY replaced by a shared
;; memory for the backend's threaded build, and by a plain one for the other.
;; Each function runs on the calling thread; src/backend/simd/kernels.ts loads
;; them and keeps a JavaScript version of each for where the module cannot load.
(module
  (import "env" "memory" MEMORY)

  ;; One Adam step for n float32 weights (the formula of src/backend/wasm-kernels/adam.ts):
  ;;   m' = b1·m + c1·g,  v' = b2·v + c2·g·g,  w' = w − k1·m' / (√(k2·v') + eps)
  ;; with c1 = 1 − b1, c2 = 1 − b2, k1 = lr / (1 − b1ᵗ), k2 = 1 / (1 − b2ᵗ).
  ;; Four weights at a time, then the remainder one by one.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32)
    (param $wo i32) (param $mo i32) (param $vo i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32)
    (param $k1 f32) (param $k2 f32) (param $eps f32)
    (local $i i32) (local $end i32)
    (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128)
    (local $K1 v128) (local $K2 v128) (local $E v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $K1 (f32x4.splat (local.get $k1)))
    (local.set $K2 (f32x4.splat (local.get $k2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $i))))
            (f32x4.mul (local.get $C1) (local.get $gv))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $i))))
            (f32x4.mul (f32x4.mul (local.get $C2) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $mo) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $vo) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $wo) (local.get $i))
          (f32x4.sub
            (v128.load (i32.add (local.get $w) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $K1) (local.get $mv))
              (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vv) (local.get $K2))) (local.get $E)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms
          (f32.add
            (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $i))))
            (f32.mul (local.get $c1) (local.get $gs))))
        (local.set $vs
          (f32.add
            (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $i))))
            (f32.mul (f32.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f32.store (i32.add (local.get $mo) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $vo) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $wo) (local.get $i))
          (f32.sub
            (f32.load (i32.add (local.get $w) (local.get $i)))
            (f32.div
              (f32.mul (local.get $k1) (local.get $ms))
              (f32.add (f32.sqrt (f32.mul (local.get $vs) (local.get $k2))) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  ;; dst [cols, rows] = the transpose of src [rows, cols], for any 32-bit elements:
  ;; 4 × 4 blocks through registers (four row loads, eight shuffles, four column
  ;; stores), then the right-hand columns and the bottom rows one element at a time.
  (func (export "transpose") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32)
    (local $srow i32) (local $drow i32) (local $s i32) (local $d i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $srow (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $drow (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowBlock
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $r4)))
        (local.set $c (i32.const 0))
        (block $colsDone
          (loop $colBlock
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $c4)))
            ;; s = &src[r][c], d = &dst[c][r]
            (local.set $s (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $d (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
            (local.set $a0 (v128.load (local.get $s)))
            (local.set $a1 (v128.load (i32.add (local.get $s) (local.get $srow))))
            (local.set $a2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $srow) (i32.const 1)))))
            (local.set $a3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $srow) (i32.const 3)))))
            ;; t0 = a0.0 a1.0 a0.1 a1.1, t1 = a0.2 a1.2 a0.3 a1.3, and t2, t3 alike from a2 and a3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
            (v128.store (local.get $d)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (local.get $drow))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $drow) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $d) (i32.mul (local.get $drow) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $colBlock)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rowBlock)))
    ;; the columns right of c4, for the rows of the blocks
    (call $scalarTranspose (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
      (i32.const 0) (local.get $r4) (local.get $c4) (local.get $cols))
    ;; the rows below r4, every column
    (call $scalarTranspose (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols)
      (local.get $r4) (local.get $rows) (i32.const 0) (local.get $cols)))

  ;; dst[c][r] = src[r][c] for r0 ≤ r < r1 and c0 ≤ c < c1, one element at a time.
  (func $scalarTranspose (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (param $r0 i32) (param $r1 i32) (param $c0 i32) (param $c1 i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $r0))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (local.get $c0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $c1)))
            (i32.store
              (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (i32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; C [M, N] = A [M, K] · B [K, N], all row-major, for M a multiple of 4 and N of 8.
  ;; Unlike XNNPACK (the backend's product), it reads B as it is: XNNPACK first packs B
  ;; into its own layout, which costs about 3.4 ns an element of B every time B is new,
  ;; as a weight matrix is at every training step. For each 8-column panel of B
  ;; (K × 32 bytes, kept in L1 across the rows of A), each 4 rows of A: eight
  ;; accumulators of 4 floats, and per k two loads of B, four broadcast loads of A and
  ;; eight multiply-adds; K is taken in blocks of 512 rows of B. The multiply-adds are
  ;; relaxed SIMD's relaxed_madd, one fused instruction where the machine has FMA; the
  ;; build also writes each module with them as a multiply and an add (the modules of
  ;; SIMD_MODULES without `fused`), for engines without relaxed SIMD.
  (func (export "gemm") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32)
    (call $product (local.get $a) (local.get $b) (local.get $c) (local.get $M) (local.get $K) (local.get $N)
      (i32.shl (local.get $K) (i32.const 2)) (i32.const 4)))

  ;; C [M, N] = Aᵀ · B for A stored [K, M] (the gradients' products with a transposed left
  ;; operand), without transposing A first: the same product reading A by columns.
  (func (export "gemmta") (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32)
    (call $product (local.get $a) (local.get $b) (local.get $c) (local.get $M) (local.get $K) (local.get $N)
      (i32.const 4) (i32.shl (local.get $M) (i32.const 2))))

  ;; The product of both: A's element (i, k) at a + i·$stepI + k·$stepK bytes.
  (func $product (param $a i32) (param $b i32) (param $c i32) (param $M i32) (param $K i32) (param $N i32) (param $stepI i32) (param $stepK i32)
    (local $i i32) (local $j i32) (local $k i32) (local $k0 i32) (local $kb i32) (local $pa i32) (local $pb i32) (local $pc i32)
    (local $rowB i32) (local $ra1 i32) (local $ra2 i32) (local $ra3 i32) (local $rb1 i32) (local $rb2 i32) (local $rb3 i32)
    (local $b0 v128) (local $b1 v128) (local $x v128) (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowB (i32.shl (local.get $N) (i32.const 2)))
    (local.set $ra1 (local.get $stepI))
    (local.set $ra2 (i32.shl (local.get $stepI) (i32.const 1)))
    (local.set $ra3 (i32.mul (local.get $stepI) (i32.const 3)))
    (local.set $rb1 (local.get $rowB))
    (local.set $rb2 (i32.shl (local.get $rowB) (i32.const 1)))
    (local.set $rb3 (i32.mul (local.get $rowB) (i32.const 3)))
    ;; K in blocks of 512: a block's 8-column panel of B (16 KB) stays in L1 while the rows of A pass.
    (loop $kBlock
      (local.set $kb (i32.sub (local.get $K) (local.get $k0)))
      (if (i32.gt_u (local.get $kb) (i32.const 512)) (then (local.set $kb (i32.const 512))))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $M)))
          (local.set $pc (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $rowB)) (i32.shl (local.get $j) (i32.const 2)))))
          ;; the first block starts from zero, later ones from the sums so far
          (if (i32.eqz (local.get $k0))
            (then
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0)))
            (else
            (local.set $c00 (v128.load (local.get $pc)))
            (local.set $c01 (v128.load offset=16 (local.get $pc)))
            (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $rb1))))
            (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $rb1))))
            (local.set $c20 (v128.load (i32.add (local.get $pc) (local.get $rb2))))
            (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (local.get $rb2))))
            (local.set $c30 (v128.load (i32.add (local.get $pc) (local.get $rb3))))
            (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (local.get $rb3))))))
          (local.set $pa (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $stepI)) (i32.mul (local.get $k0) (local.get $stepK)))))
          (local.set $pb (i32.add (local.get $b) (i32.add (i32.mul (local.get $k0) (local.get $rowB)) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $k (local.get $kb))
          (block $kd (loop $kl
            (br_if $kd (i32.eqz (local.get $k)))
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $x (v128.load32_splat (local.get $pa)))
            (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
            (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
            (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $ra1))))
            (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
            (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
            (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $ra2))))
            (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
            (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
            (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $ra3))))
            (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
            (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
            (local.set $pa (i32.add (local.get $pa) (local.get $stepK)))
            (local.set $pb (i32.add (local.get $pb) (local.get $rowB)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $kl)))
          (v128.store (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (v128.store (i32.add (local.get $pc) (local.get $rb1)) (local.get $c10))
          (v128.store offset=16 (i32.add (local.get $pc) (local.get $rb1)) (local.get $c11))
          (v128.store (i32.add (local.get $pc) (local.get $rb2)) (local.get $c20))
          (v128.store offset=16 (i32.add (local.get $pc) (local.get $rb2)) (local.get $c21))
          (v128.store (i32.add (local.get $pc) (local.get $rb3)) (local.get $c30))
          (v128.store offset=16 (i32.add (local.get $pc) (local.get $rb3)) (local.get $c31))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $il)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $jl)))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kb)))
      (br_if $kBlock (i32.lt_u (local.get $k0) (local.get $K)))))

  ;; Copy `rows` runs of `bytes` bytes from src to dst, src advancing by srcStride and dst by
  ;; dstStride bytes after each: a box of a row-major array (Slice, SplitV, Unpack) or one
  ;; input's place in a concatenation (Concat), with memory.copy for each run. The backend's
  ;; own kernels and the JavaScript loop before this spent 40–55 µs on the [64, 256]
  ;; split and concatenation an LSTM step makes, most of it in a call per run.
  (func (export "copyrows") (param $src i32) (param $dst i32) (param $rows i32) (param $bytes i32) (param $srcStride i32) (param $dstStride i32)
    (block $done (loop $row
      (br_if $done (i32.eqz (local.get $rows)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))
      (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  ;; The patches of a convolution's input as rows (im2col): for each output pixel (b, oy, ox)
  ;; of x [batch, h, w, c] (NHWC, float32), a row of p of `row` floats: x[b, oy·sh − top + ky,
  ;; ox·sw − left + kx, :] for ky < kh, kx < kw in that order (zeros outside x), then zeros
  ;; to the row's end (row ≥ kh·kw·c; strata pads rows to a multiple of 8 for gemm). A
  ;; convolution's filter gradient is then one product, dyᵀ · p.
  (func (export "im2col") (param $x i32) (param $p i32) (param $batch i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32) (param $oh i32) (param $ow i32) (param $row i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32)
    (local $dst i32) (local $src i32) (local $i i32) (local $cb i32) (local $c16 i32) (local $rowEnd i32)
    (local $ix0 i32) (local $runB i32) (local $vecB i32) (local $xEnd i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c16 (i32.and (local.get $cb) (i32.const -16)))
    ;; a patch row (one ky): kw·c floats that lie together in x when all kw pixels are inside it
    (local.set $runB (i32.mul (local.get $kw) (local.get $cb)))
    (local.set $vecB (i32.and (i32.add (local.get $runB) (i32.const 15)) (i32.const -16)))
    (local.set $xEnd (i32.add (local.get $x) (i32.mul (i32.mul (i32.mul (local.get $batch) (local.get $h)) (local.get $w)) (local.get $cb))))
    (local.set $dst (local.get $p))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oy (i32.const 0))
      (block $yd (loop $yl
        (br_if $yd (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $xd (loop $xl
          (br_if $xd (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $rowEnd (i32.add (local.get $dst) (i32.shl (local.get $row) (i32.const 2))))
          (local.set $ky (i32.const 0))
          (block $kyd (loop $kyl
            (br_if $kyd (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)) (local.get $ky)))
            (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
            (local.set $kx (i32.const 0))
            ;; The whole patch row inside x: one run, copied 16 bytes at a time (a first layer's
            ;; c = 1 makes a tap 4 bytes, which the per-tap copy below took one at a time). The
            ;; last vector may read past the run and write past it: only where both stay inside
            ;; x and inside the patch's row, whose later taps or zero padding are written after.
            (if (i32.and (i32.lt_u (local.get $iy) (local.get $h))
                  (i32.and (i32.lt_u (local.get $ix0) (local.get $w)) (i32.le_u (i32.add (local.get $ix0) (local.get $kw)) (local.get $w))))
              (then
                (local.set $src (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix0)) (local.get $cb))))
                (local.set $i (i32.const 0))
                (if (i32.and (i32.le_u (i32.add (local.get $dst) (local.get $vecB)) (local.get $rowEnd))
                      (i32.le_u (i32.add (local.get $src) (local.get $vecB)) (local.get $xEnd)))
                  (then
                    (block $rvd (loop $rvl
                      (br_if $rvd (i32.ge_u (local.get $i) (local.get $runB)))
                      (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
                      (local.set $i (i32.add (local.get $i) (i32.const 16)))
                      (br $rvl))))
                  (else
                    (block $rsd (loop $rsl
                      (br_if $rsd (i32.ge_u (local.get $i) (local.get $runB)))
                      (f32.store (i32.add (local.get $dst) (local.get $i)) (f32.load (i32.add (local.get $src) (local.get $i))))
                      (local.set $i (i32.add (local.get $i) (i32.const 4)))
                      (br $rsl)))))
                (local.set $dst (i32.add (local.get $dst) (local.get $runB)))
                (local.set $kx (local.get $kw))))
            (block $kxd (loop $kxl
              (br_if $kxd (i32.ge_u (local.get $kx) (local.get $kw)))
              (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)) (local.get $kx)))
              (local.set $i (i32.const 0))
              ;; unsigned comparisons: a negative coordinate is past the end too
              (if (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                (then
                  (local.set $src (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cb))))
                  (block $vd (loop $vl
                    (br_if $vd (i32.ge_u (local.get $i) (local.get $c16)))
                    (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
                    (local.set $i (i32.add (local.get $i) (i32.const 16)))
                    (br $vl)))
                  (block $sd (loop $sl
                    (br_if $sd (i32.ge_u (local.get $i) (local.get $cb)))
                    (f32.store (i32.add (local.get $dst) (local.get $i)) (f32.load (i32.add (local.get $src) (local.get $i))))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $sl))))
                (else
                  (block $zd (loop $zl
                    (br_if $zd (i32.ge_u (local.get $i) (local.get $cb)))
                    (f32.store (i32.add (local.get $dst) (local.get $i)) (f32.const 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 4)))
                    (br $zl)))))
              (local.set $dst (i32.add (local.get $dst) (local.get $cb)))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br $kxl)))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kyl)))
          (block $pd (loop $pl
            (br_if $pd (i32.ge_u (local.get $dst) (local.get $rowEnd)))
            (f32.store (local.get $dst) (f32.const 0))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (br $pl)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xl)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; A convolution's filter gradient for a single input channel and a 3 × 3 kernel (a first
  ;; layer on grayscale images), without patches: dW[t, o] = Σ over output pixels of
  ;; x[pixel's tap t] · dy[pixel, o], for out [9, O] (taps ky, kx in order; O a multiple of 4).
  ;; One output row at a time (its dy stays in L1), four output channels at a time with the
  ;; nine taps' sums in registers: per pixel one load of dy and nine broadcast loads of x.
  ;; im2col wrote the 4-byte taps one at a time for this (a third of the patches' bytes
  ;; padding) and the product read them back. Pixels whose window leaves x (padding) check each tap.
  (func (export "filtergrad3x3c1") (param $x i32) (param $dy i32) (param $out i32) (param $batch i32) (param $h i32) (param $w i32) (param $O i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32) (param $oh i32) (param $ow i32)
    (local $ob i32) (local $b i32) (local $oy i32) (local $ox i32) (local $iy i32) (local $ix i32) (local $p i32) (local $p1 i32) (local $p2 i32) (local $p0 i32)
    (local $pd i32) (local $rowB i32) (local $dyPixel i32) (local $dyRow i32) (local $rowIn i32) (local $stepB i32)
    (local $d v128) (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $a8 v128)
    (local.set $rowB (i32.shl (local.get $w) (i32.const 2)))
    (local.set $stepB (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $dyPixel (i32.shl (local.get $O) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (i32.const 9) (local.get $dyPixel)))
    (local.set $dyRow (local.get $dy))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oy (i32.const 0))
      (block $yd (loop $yl
        (br_if $yd (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $iy (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
        ;; the window's three rows inside x (signed: iy may be negative), and where the first starts at ix = 0
        (local.set $rowIn (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.le_s (i32.add (local.get $iy) (i32.const 3)) (local.get $h))))
        (local.set $p0 (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $rowB))))
        (local.set $ob (i32.const 0))
        (block $obd (loop $obl
          (br_if $obd (i32.ge_u (local.get $ob) (local.get $O)))
          (local.set $a0 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 0) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a1 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 1) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a2 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 2) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a3 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 3) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a4 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 4) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a5 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 5) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a6 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 6) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a7 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 7) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $a8 (v128.load (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 8) (local.get $O)) (local.get $ob)) (i32.const 2)))))
          (local.set $pd (i32.add (local.get $dyRow) (i32.shl (local.get $ob) (i32.const 2))))
          (local.set $ix (i32.sub (i32.const 0) (local.get $left)))
          (local.set $p (i32.add (local.get $p0) (i32.shl (local.get $ix) (i32.const 2))))
          (local.set $ox (i32.const 0))
          (block $xd (loop $xl
            (br_if $xd (i32.ge_u (local.get $ox) (local.get $ow)))
            (local.set $d (v128.load (local.get $pd)))
            (local.set $p1 (i32.add (local.get $p) (local.get $rowB)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $rowB)))
            (if (i32.and (local.get $rowIn) (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.le_s (i32.add (local.get $ix) (i32.const 3)) (local.get $w))))
              (then
                  (local.set $v (v128.load32_splat (local.get $p)))
                  (local.set $a0 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a0)))
                  (local.set $v (v128.load32_splat offset=4 (local.get $p)))
                  (local.set $a1 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a1)))
                  (local.set $v (v128.load32_splat offset=8 (local.get $p)))
                  (local.set $a2 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a2)))
                  (local.set $v (v128.load32_splat (local.get $p1)))
                  (local.set $a3 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a3)))
                  (local.set $v (v128.load32_splat offset=4 (local.get $p1)))
                  (local.set $a4 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a4)))
                  (local.set $v (v128.load32_splat offset=8 (local.get $p1)))
                  (local.set $a5 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a5)))
                  (local.set $v (v128.load32_splat (local.get $p2)))
                  (local.set $a6 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a6)))
                  (local.set $v (v128.load32_splat offset=4 (local.get $p2)))
                  (local.set $a7 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a7)))
                  (local.set $v (v128.load32_splat offset=8 (local.get $p2)))
                  (local.set $a8 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a8))))
              (else
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 0)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 0)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load (local.get $p))))
                  (local.set $a0 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a0)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 0)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 1)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p))))
                  (local.set $a1 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a1)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 0)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 2)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=8 (local.get $p))))
                  (local.set $a2 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a2)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 1)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 0)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load (local.get $p1))))
                  (local.set $a3 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a3)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 1)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 1)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p1))))
                  (local.set $a4 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a4)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 1)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 2)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=8 (local.get $p1))))
                  (local.set $a5 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a5)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 2)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 0)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load (local.get $p2))))
                  (local.set $a6 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a6)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 2)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 1)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=4 (local.get $p2))))
                  (local.set $a7 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a7)))))
                  (if (i32.and (i32.lt_u (i32.add (local.get $iy) (i32.const 2)) (local.get $h)) (i32.lt_u (i32.add (local.get $ix) (i32.const 2)) (local.get $w)))
                    (then
                  (local.set $v (f32x4.splat (f32.load offset=8 (local.get $p2))))
                  (local.set $a8 (f32x4.relaxed_madd (local.get $v) (local.get $d) (local.get $a8)))))))
            (local.set $pd (i32.add (local.get $pd) (local.get $dyPixel)))
            (local.set $p (i32.add (local.get $p) (local.get $stepB)))
            (local.set $ix (i32.add (local.get $ix) (local.get $sw)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $xl)))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 0) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a0))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 1) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a1))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 2) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a2))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 3) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a3))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 4) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a4))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 5) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a5))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 6) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a6))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 7) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a7))
          (v128.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.const 8) (local.get $O)) (local.get $ob)) (i32.const 2))) (local.get $a8))
          (local.set $ob (i32.add (local.get $ob) (i32.const 4)))
          (br $obl)))
        (local.set $dyRow (i32.add (local.get $dyRow) (i32.mul (local.get $ow) (local.get $dyPixel))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Element-wise float32 arithmetic, out[i] = a[i] op b[i mod p] for i < n, where p divides
  ;; n: p = n for operands of one shape, p = 1 for a scalar b, and in between for a b that
  ;; repeats along the leading axes (a bias). The backend's own kernels run these on
  ;; XNNPACK's thread pool, whose wake-up (tens of µs a kernel) outweighs the work for the
  ;; small tensors of a training step; these run on the calling thread, four at a time.

  (func (export "add") (param $a i32) (param $b i32) (param $out i32) (param $n i32) (param $p i32)
    (local $i i32) (local $end i32) (local $row i32) (local $rowEnd i32) (local $j i32) (local $pv i32) (local $s v128)
    (if (i32.eq (local.get $p) (i32.const 1))
      (then
        ;; a scalar b
        (local.set $s (v128.load32_splat (local.get $b)))
        (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (f32x4.add (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $s)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $next)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (f32.store (i32.add (local.get $out) (local.get $i))
            (f32.add (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (local.get $b))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next))))
      (else
        ;; rows of p elements; i is the byte offset of the row in a and out, j in b
        (local.set $pv (i32.shl (i32.and (local.get $p) (i32.const -4)) (i32.const 2)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $rowsDone (loop $rowNext
          (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $end)))
          (local.set $j (i32.const 0))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $pv)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (f32x4.add (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
          (local.set $rowEnd (i32.shl (local.get $p) (i32.const 2)))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $rowEnd)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (f32.store (i32.add (local.get $out) (local.get $i))
              (f32.add (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $next)))
          (local.set $row (i32.add (local.get $row) (local.get $rowEnd)))
          (br $rowNext))))))

  (func (export "sub") (param $a i32) (param $b i32) (param $out i32) (param $n i32) (param $p i32)
    (local $i i32) (local $end i32) (local $row i32) (local $rowEnd i32) (local $j i32) (local $pv i32) (local $s v128)
    (if (i32.eq (local.get $p) (i32.const 1))
      (then
        ;; a scalar b
        (local.set $s (v128.load32_splat (local.get $b)))
        (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $s)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $next)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (f32.store (i32.add (local.get $out) (local.get $i))
            (f32.sub (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (local.get $b))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next))))
      (else
        ;; rows of p elements; i is the byte offset of the row in a and out, j in b
        (local.set $pv (i32.shl (i32.and (local.get $p) (i32.const -4)) (i32.const 2)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $rowsDone (loop $rowNext
          (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $end)))
          (local.set $j (i32.const 0))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $pv)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
          (local.set $rowEnd (i32.shl (local.get $p) (i32.const 2)))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $rowEnd)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (f32.store (i32.add (local.get $out) (local.get $i))
              (f32.sub (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $next)))
          (local.set $row (i32.add (local.get $row) (local.get $rowEnd)))
          (br $rowNext))))))

  (func (export "mul") (param $a i32) (param $b i32) (param $out i32) (param $n i32) (param $p i32)
    (local $i i32) (local $end i32) (local $row i32) (local $rowEnd i32) (local $j i32) (local $pv i32) (local $s v128)
    (if (i32.eq (local.get $p) (i32.const 1))
      (then
        ;; a scalar b
        (local.set $s (v128.load32_splat (local.get $b)))
        (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $s)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $next)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (f32.store (i32.add (local.get $out) (local.get $i))
            (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (local.get $b))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next))))
      (else
        ;; rows of p elements; i is the byte offset of the row in a and out, j in b
        (local.set $pv (i32.shl (i32.and (local.get $p) (i32.const -4)) (i32.const 2)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $rowsDone (loop $rowNext
          (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $end)))
          (local.set $j (i32.const 0))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $pv)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
          (local.set $rowEnd (i32.shl (local.get $p) (i32.const 2)))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $rowEnd)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (f32.store (i32.add (local.get $out) (local.get $i))
              (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $next)))
          (local.set $row (i32.add (local.get $row) (local.get $rowEnd)))
          (br $rowNext))))))

  (func (export "div") (param $a i32) (param $b i32) (param $out i32) (param $n i32) (param $p i32)
    (local $i i32) (local $end i32) (local $row i32) (local $rowEnd i32) (local $j i32) (local $pv i32) (local $s v128)
    (if (i32.eq (local.get $p) (i32.const 1))
      (then
        ;; a scalar b
        (local.set $s (v128.load32_splat (local.get $b)))
        (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (v128.store (i32.add (local.get $out) (local.get $i))
            (f32x4.div (v128.load (i32.add (local.get $a) (local.get $i))) (local.get $s)))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br $next)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
          (f32.store (i32.add (local.get $out) (local.get $i))
            (f32.div (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (local.get $b))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next))))
      (else
        ;; rows of p elements; i is the byte offset of the row in a and out, j in b
        (local.set $pv (i32.shl (i32.and (local.get $p) (i32.const -4)) (i32.const 2)))
        (local.set $end (i32.shl (local.get $n) (i32.const 2)))
        (block $rowsDone (loop $rowNext
          (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $end)))
          (local.set $j (i32.const 0))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $pv)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (f32x4.div (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $next)))
          (local.set $rowEnd (i32.shl (local.get $p) (i32.const 2)))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $rowEnd)))
            (local.set $i (i32.add (local.get $row) (local.get $j)))
            (f32.store (i32.add (local.get $out) (local.get $i))
              (f32.div (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $next)))
          (local.set $row (i32.add (local.get $row) (local.get $rowEnd)))
          (br $rowNext))))))

  ;; dst [cols] = the sums of the columns of src [rows, cols] (float32, in row order): a
  ;; bias gradient. XNNPACK, as a product with a row of ones, would first pack all of src.
  (func (export "colsum") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $row i32) (local $rowBytes i32) (local $vecBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))
    (memory.fill (local.get $dst) (i32.const 0) (local.get $rowBytes))
    (local.set $row (local.get $src))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $vecBytes)))
        (v128.store (i32.add (local.get $dst) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $j))) (v128.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (f32.store (i32.add (local.get $dst) (local.get $j))
          (f32.add (f32.load (i32.add (local.get $dst) (local.get $j))) (f32.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext))))

  ;; Batch normalization in training, over the rows of x [rows, cols] (float32, NHWC
  ;; flattened: a row is one pixel's channels; cols a multiple of 4). bnstats: the
  ;; statistics, as tf.moments computes them (the column sums in row order, divided; then
  ;; the same for the squared deviations): mean [cols], variance [cols].
  (func (export "bnstats") (param $x i32) (param $mean i32) (param $var i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $row i32) (local $rowBytes i32) (local $n v128) (local $d v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (memory.fill (local.get $mean) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $var) (i32.const 0) (local.get $rowBytes))
    (local.set $n (f32x4.splat (f32.convert_i32_u (local.get $rows))))
    (local.set $row (local.get $x))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (v128.store (i32.add (local.get $mean) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $mean) (local.get $j))) (v128.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext)))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
      (v128.store (i32.add (local.get $mean) (local.get $j)) (f32x4.div (v128.load (i32.add (local.get $mean) (local.get $j))) (local.get $n)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next)))
    (local.set $row (local.get $x))
    (local.set $r (i32.const 0))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (v128.load (i32.add (local.get $mean) (local.get $j)))))
        (v128.store (i32.add (local.get $var) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $var) (local.get $j))) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext)))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
      (v128.store (i32.add (local.get $var) (local.get $j)) (f32x4.div (v128.load (i32.add (local.get $var) (local.get $j))) (local.get $n)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next))))

  ;; bnaffine: y = x · a[c] + b[c] for every row (the normalization, gamma and beta folded into a and b).
  (func (export "bnaffine") (param $x i32) (param $a i32) (param $b i32) (param $y i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $end i32) (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $y) (local.get $i))
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $a) (local.get $j))))
          (v128.load (i32.add (local.get $b) (local.get $j)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (if (i32.eq (local.get $j) (local.get $rowBytes)) (then (local.set $j (i32.const 0))))
      (br $next))))

  ;; bnsums: the column sums of dy [rows, cols] into s1 and of dy · (x − mean) into s2 (batch
  ;; norm's gradients of beta and, once scaled by 1/√(var + ε), of gamma).
  (func (export "bnsums") (param $dy i32) (param $x i32) (param $mean i32) (param $s1 i32) (param $s2 i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $end i32) (local $j i32) (local $rowBytes i32) (local $g v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
    (memory.fill (local.get $s1) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $s2) (i32.const 0) (local.get $rowBytes))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $g (v128.load (i32.add (local.get $dy) (local.get $i))))
      (v128.store (i32.add (local.get $s1) (local.get $j))
        (f32x4.add (v128.load (i32.add (local.get $s1) (local.get $j))) (local.get $g)))
      (v128.store (i32.add (local.get $s2) (local.get $j))
        (f32x4.add (v128.load (i32.add (local.get $s2) (local.get $j)))
          (f32x4.mul (local.get $g) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $j)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (if (i32.eq (local.get $j) (local.get $rowBytes)) (then (local.set $j (i32.const 0))))
      (br $next))))

  ;; bngrad: dx = dy · A[c] + (x − mean[c]) · B[c] + C[c] (batch norm's input gradient;
  ;; src/layers/custom/batch-norm.ts computes A, B and C).
  (func (export "bngrad") (param $dy i32) (param $x i32) (param $mean i32) (param $A i32) (param $B i32) (param $C i32) (param $dx i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $end i32) (local $j i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (f32x4.add
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i))) (v128.load (i32.add (local.get $A) (local.get $j))))
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $j))))
              (v128.load (i32.add (local.get $B) (local.get $j)))))
          (v128.load (i32.add (local.get $C) (local.get $j)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (if (i32.eq (local.get $j) (local.get $rowBytes)) (then (local.set $j (i32.const 0))))
      (br $next))))

  ;; The sum of v's four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Layer normalization over the last axis of x [rows, cols] (float32, cols a multiple of 4).
  ;; rowstats: each row's mean and variance (two passes over the row), into mean [rows] and var [rows].
  (func (export "rowstats") (param $x i32) (param $mean i32) (param $var i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $row i32) (local $rowBytes i32) (local $acc v128) (local $m v128) (local $d v128) (local $n f32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $n (f32.convert_i32_u (local.get $cols)))
    (local.set $row (local.get $x))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $row) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $m (f32x4.splat (f32.div (call $hsum (local.get $acc)) (local.get $n))))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (local.get $m)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (f32.store (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2))) (f32x4.extract_lane 0 (local.get $m)))
      (f32.store (i32.add (local.get $var) (i32.shl (local.get $r) (i32.const 2))) (f32.div (call $hsum (local.get $acc)) (local.get $n)))
      (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext))))

  ;; lnaffine: y = (x − mean[r]) · inv[r] · gamma[c] + beta[c].
  (func (export "lnaffine") (param $x i32) (param $mean i32) (param $inv i32) (param $gamma i32) (param $beta i32) (param $y i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $off i32) (local $rowBytes i32) (local $m v128) (local $iv v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $m (v128.load32_splat (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $iv (v128.load32_splat (i32.add (local.get $inv) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (v128.store (i32.add (local.get $y) (i32.add (local.get $off) (local.get $j)))
          (f32x4.add
            (f32x4.mul
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $off) (local.get $j)))) (local.get $m)) (local.get $iv))
              (v128.load (i32.add (local.get $gamma) (local.get $j))))
            (v128.load (i32.add (local.get $beta) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext))))

  ;; lngrad: with x̂ = (x − mean[r]) · inv[r] and g = dy · gamma[c], per row
  ;;   dx = inv[r] · (g − mean of g − x̂ · mean of g·x̂),
  ;; and over all rows dgamma [cols] = Σ dy · x̂, dbeta [cols] = Σ dy.
  (func (export "lngrad") (param $dy i32) (param $x i32) (param $mean i32) (param $inv i32) (param $gamma i32) (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $off i32) (local $rowBytes i32) (local $m v128) (local $iv v128) (local $n f32)
    (local $s1 v128) (local $s2 v128) (local $d v128) (local $xh v128) (local $g v128) (local $a v128) (local $b v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $n (f32.convert_i32_u (local.get $cols)))
    (memory.fill (local.get $dgamma) (i32.const 0) (local.get $rowBytes))
    (memory.fill (local.get $dbeta) (i32.const 0) (local.get $rowBytes))
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $m (v128.load32_splat (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $iv (v128.load32_splat (i32.add (local.get $inv) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $s2 (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $d (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $j)))))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $off) (local.get $j)))) (local.get $m)) (local.get $iv)))
        (local.set $g (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $gamma) (local.get $j)))))
        (local.set $s1 (f32x4.add (local.get $s1) (local.get $g)))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $g) (local.get $xh))))
        (v128.store (i32.add (local.get $dgamma) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dgamma) (local.get $j))) (f32x4.mul (local.get $d) (local.get $xh))))
        (v128.store (i32.add (local.get $dbeta) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $dbeta) (local.get $j))) (local.get $d)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $a (f32x4.splat (f32.div (call $hsum (local.get $s1)) (local.get $n))))
      (local.set $b (f32x4.splat (f32.div (call $hsum (local.get $s2)) (local.get $n))))
      (local.set $j (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $rowBytes)))
        (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $off) (local.get $j)))) (local.get $m)) (local.get $iv)))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $j)))) (v128.load (i32.add (local.get $gamma) (local.get $j)))))
        (v128.store (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $j)))
          (f32x4.mul (f32x4.sub (f32x4.sub (local.get $g) (local.get $a)) (f32x4.mul (local.get $xh) (local.get $b))) (local.get $iv)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $off (i32.add (local.get $off) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext))))

  ;; Softmax's gradient over the last axis of y [rows, cols]: per row dx = y · (dy − Σ dy · y),
  ;; one pass for the sum and one for dx (tfjs-core's is four kernels); four columns at a
  ;; time, then the rest one by one.
  (func (export "softmaxgrad") (param $dy i32) (param $y i32) (param $dx i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $row i32) (local $end i32) (local $vend i32) (local $acc v128) (local $s v128) (local $t f32)
    (block $rowsDone (loop $rowNext
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $end (i32.add (local.get $row) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $vend (i32.add (local.get $row) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $j (local.get $row))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $vend)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (v128.load (i32.add (local.get $y) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (local.set $t (call $hsum (local.get $acc)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $t (f32.add (local.get $t)
          (f32.mul (f32.load (i32.add (local.get $dy) (local.get $j))) (f32.load (i32.add (local.get $y) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
      (local.set $s (f32x4.splat (local.get $t)))
      (local.set $j (local.get $row))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $vend)))
        (v128.store (i32.add (local.get $dx) (local.get $j))
          (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $j))) (f32x4.sub (v128.load (i32.add (local.get $dy) (local.get $j))) (local.get $s))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (f32.store (i32.add (local.get $dx) (local.get $j))
          (f32.mul (f32.load (i32.add (local.get $y) (local.get $j))) (f32.sub (f32.load (i32.add (local.get $dy) (local.get $j))) (local.get $t))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
      (local.set $row (local.get $end))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowNext))))

  ;; The gradient of 2×2, stride-2 max pooling with every window inside x (NHWC,
  ;; float32; C a multiple of 4): each window's dy goes to the first of its four
  ;; inputs, in row-major order, that equals its output y, as in
  ;; src/backend/wasm-kernels/max-pool-grad.ts; the other three get 0. Rows and
  ;; columns of x beyond 2·OH and 2·OW are not written (the caller zeroes them).
  (func (export "maxpoolgrad2x2")
    (param $x i32) (param $y i32) (param $dy i32) (param $dx i32)
    (param $batch i32) (param $H i32) (param $W i32) (param $C i32) (param $OH i32) (param $OW i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $c i32)
    (local $row i32) (local $cb i32) (local $p00 i32) (local $p10 i32) (local $o i32)
    (local $m v128) (local $d v128) (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128) (local $taken v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $row (i32.mul (local.get $W) (local.get $cb)))
    (local.set $o (local.get $y))
    (block $batchDone (loop $batchNext
      (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $rowNext
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $OH)))
        ;; byte offset of x[b, 2·oh, 0, 0]
        (local.set $p00 (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (i32.shl (local.get $oh) (i32.const 1))) (local.get $row)))
        (local.set $ow (i32.const 0))
        (block $colsDone (loop $colNext
          (br_if $colsDone (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $p10 (i32.add (local.get $p00) (local.get $row)))
          (local.set $c (i32.const 0))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $c) (local.get $cb)))
            (local.set $m (v128.load (i32.add (local.get $o) (local.get $c))))
            (local.set $d (v128.load (i32.add (i32.add (local.get $dy) (i32.sub (local.get $o) (local.get $y))) (local.get $c))))
            (local.set $e0 (f32x4.eq (v128.load (i32.add (i32.add (local.get $x) (local.get $p00)) (local.get $c))) (local.get $m)))
            (local.set $e1 (v128.andnot
              (f32x4.eq (v128.load (i32.add (i32.add (local.get $x) (i32.add (local.get $p00) (local.get $cb))) (local.get $c))) (local.get $m))
              (local.get $e0)))
            (local.set $taken (v128.or (local.get $e0) (local.get $e1)))
            (local.set $e2 (v128.andnot
              (f32x4.eq (v128.load (i32.add (i32.add (local.get $x) (local.get $p10)) (local.get $c))) (local.get $m))
              (local.get $taken)))
            (local.set $taken (v128.or (local.get $taken) (local.get $e2)))
            (local.set $e3 (v128.andnot
              (f32x4.eq (v128.load (i32.add (i32.add (local.get $x) (i32.add (local.get $p10) (local.get $cb))) (local.get $c))) (local.get $m))
              (local.get $taken)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $p00)) (local.get $c)) (v128.and (local.get $d) (local.get $e0)))
            (v128.store (i32.add (i32.add (local.get $dx) (i32.add (local.get $p00) (local.get $cb))) (local.get $c)) (v128.and (local.get $d) (local.get $e1)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $p10)) (local.get $c)) (v128.and (local.get $d) (local.get $e2)))
            (v128.store (i32.add (i32.add (local.get $dx) (i32.add (local.get $p10) (local.get $cb))) (local.get $c)) (v128.and (local.get $d) (local.get $e3)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $next)))
          (local.set $o (i32.add (local.get $o) (local.get $cb)))
          (local.set $p00 (i32.add (local.get $p00) (i32.shl (local.get $cb) (i32.const 1))))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $colNext)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rowNext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batchNext))))

  ;; dst[i] = max(x[i], 0) for i < n (float32; NaN stays NaN): Relu.
  (func (export "relu") (param $x i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $end i32) (local $zero v128)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (f32x4.max (v128.load (i32.add (local.get $x) (local.get $i))) (local.get $zero)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $dst) (local.get $i)) (f32.max (f32.load (i32.add (local.get $x) (local.get $i))) (f32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))

  ;; tanh of four floats: Eigen's rational approximation (odd polynomial of degree 13 over
  ;; an even one of degree 6, x clamped to ±7.905, where tanh is 1 to float32), x itself where
  ;; |x| < 0.0004; NaN stays NaN. Within 4e-7 of tanh (3.4e-7 the most seen, near ±6.85; test/backend/simd-kernels.test.ts).
  (func $tanh4 (param $v v128) (result v128)
    (local $x v128) (local $x2 v128) (local $p v128) (local $q v128)
    (local.set $x (f32x4.max (f32x4.min (local.get $v) (v128.const f32x4 7.90531110763549805 7.90531110763549805 7.90531110763549805 7.90531110763549805)) (v128.const f32x4 -7.90531110763549805 -7.90531110763549805 -7.90531110763549805 -7.90531110763549805)))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (v128.const f32x4 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16 -2.76076847742355e-16))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13 2.00018790482477e-13)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11 -8.60467152213735e-11)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 5.12229709037114e-08 5.12229709037114e-08 5.12229709037114e-08 5.12229709037114e-08)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 1.48572235717979e-05 1.48572235717979e-05 1.48572235717979e-05 1.48572235717979e-05)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 6.37261928875436e-04 6.37261928875436e-04 6.37261928875436e-04 6.37261928875436e-04)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $x2) (local.get $p)) (v128.const f32x4 4.89352455891786e-03 4.89352455891786e-03 4.89352455891786e-03 4.89352455891786e-03)))
    (local.set $p (f32x4.mul (local.get $x) (local.get $p)))
    (local.set $q (v128.const f32x4 1.19825839466702e-06 1.19825839466702e-06 1.19825839466702e-06 1.19825839466702e-06))
    (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (local.get $q)) (v128.const f32x4 1.18534705686654e-04 1.18534705686654e-04 1.18534705686654e-04 1.18534705686654e-04)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (local.get $q)) (v128.const f32x4 2.26843463243900e-03 2.26843463243900e-03 2.26843463243900e-03 2.26843463243900e-03)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $x2) (local.get $q)) (v128.const f32x4 4.89352518554385e-03 4.89352518554385e-03 4.89352518554385e-03 4.89352518554385e-03)))
    (v128.bitselect (local.get $v) (f32x4.div (local.get $p) (local.get $q)) (f32x4.lt (f32x4.abs (local.get $v)) (v128.const f32x4 0.0004 0.0004 0.0004 0.0004))))

  ;; dst[i] = tanh(x[i]) (float32). The backend's Tanh calls tanhf once an element (about 24 ns
  ;; each, 51–91 µs for an LSTM step's [64, 64] gate); this takes four at a time.
  (func (export "tanh") (param $x i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (call $tanh4 (v128.load (i32.add (local.get $x) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $dst) (local.get $i)) (f32x4.extract_lane 0 (call $tanh4 (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))

  ;; sigmoid of four floats, as 0.5 + 0.5·tanh(x/2) (within 2e-7 of the exact value).
  (func $sigmoid4 (param $v v128) (result v128)
    (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.mul (v128.const f32x4 0.5 0.5 0.5 0.5) (call $tanh4 (f32x4.mul (local.get $v) (v128.const f32x4 0.5 0.5 0.5 0.5))))))

  ;; One step of an LSTM cell, from the gates' pre-activations z [batch, 4·units] (Keras's
  ;; order i, f, c, o) and the cell state c [batch, units]: the activations a [batch, 4·units]
  ;; (σ(i), σ(f), tanh(g), σ(o)), the next cell state cn = f·c + i·g, tc = tanh(cn), and
  ;; h = o·tc. units a multiple of 4. What TensorFlow.js does in about ten kernels a step.
  (func (export "lstmcell") (param $z i32) (param $c i32) (param $a i32) (param $cn i32) (param $tc i32) (param $h i32) (param $batch i32) (param $units i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $zp i32) (local $ap i32) (local $hp i32)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $cv v128) (local $t v128)
    (local.set $hb (i32.shl (local.get $units) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $zp (i32.add (local.get $z) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 2)))))
      (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 2)))))
      (local.set $hp (i32.mul (local.get $b) (local.get $hb)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $i (call $sigmoid4 (v128.load (i32.add (local.get $zp) (local.get $j)))))
        (local.set $f (call $sigmoid4 (v128.load (i32.add (i32.add (local.get $zp) (local.get $hb)) (local.get $j)))))
        (local.set $g (call $tanh4 (v128.load (i32.add (i32.add (local.get $zp) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))))
        (local.set $o (call $sigmoid4 (v128.load (i32.add (i32.add (local.get $zp) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j)))))
        (v128.store (i32.add (local.get $ap) (local.get $j)) (local.get $i))
        (v128.store (i32.add (i32.add (local.get $ap) (local.get $hb)) (local.get $j)) (local.get $f))
        (v128.store (i32.add (i32.add (local.get $ap) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)) (local.get $g))
        (v128.store (i32.add (i32.add (local.get $ap) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j)) (local.get $o))
        (local.set $cv (f32x4.add
          (f32x4.mul (local.get $f) (v128.load (i32.add (local.get $c) (i32.add (local.get $hp) (local.get $j)))))
          (f32x4.mul (local.get $i) (local.get $g))))
        (v128.store (i32.add (local.get $cn) (i32.add (local.get $hp) (local.get $j))) (local.get $cv))
        (local.set $t (call $tanh4 (local.get $cv)))
        (v128.store (i32.add (local.get $tc) (i32.add (local.get $hp) (local.get $j))) (local.get $t))
        (v128.store (i32.add (local.get $h) (i32.add (local.get $hp) (local.get $j))) (f32x4.mul (local.get $o) (local.get $t)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; The gradient of lstmcell's step: from dh (of h) and dc (of cn, from the step after), with
  ;; the step's activations a, its incoming cell state cp and tc: dz [batch, 4·units] (of the
  ;; pre-activations, i f g o) and dcOut = (dc + dh·o·(1 − tc²))·f, the gradient of cp.
  (func (export "lstmcellgrad") (param $dh i32) (param $dc i32) (param $a i32) (param $cp i32) (param $tc i32) (param $dz i32) (param $dcOut i32) (param $batch i32) (param $units i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $ap i32) (local $zp i32) (local $hp i32)
    (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $t v128) (local $d v128) (local $dca v128) (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $hb (i32.shl (local.get $units) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 2)))))
      (local.set $zp (i32.add (local.get $dz) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 2)))))
      (local.set $hp (i32.mul (local.get $b) (local.get $hb)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $i (v128.load (i32.add (local.get $ap) (local.get $j))))
        (local.set $f (v128.load (i32.add (i32.add (local.get $ap) (local.get $hb)) (local.get $j))))
        (local.set $g (v128.load (i32.add (i32.add (local.get $ap) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j))))
        (local.set $o (v128.load (i32.add (i32.add (local.get $ap) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))))
        (local.set $t (v128.load (i32.add (local.get $tc) (i32.add (local.get $hp) (local.get $j)))))
        (local.set $d (v128.load (i32.add (local.get $dh) (i32.add (local.get $hp) (local.get $j)))))
        ;; dc + dh·o·(1 − tc²)
        (local.set $dca (f32x4.add
          (v128.load (i32.add (local.get $dc) (i32.add (local.get $hp) (local.get $j))))
          (f32x4.mul (f32x4.mul (local.get $d) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $t) (local.get $t))))))
        (v128.store (i32.add (local.get $zp) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $dca) (local.get $g)) (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
        (v128.store (i32.add (i32.add (local.get $zp) (local.get $hb)) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $dca) (v128.load (i32.add (local.get $cp) (i32.add (local.get $hp) (local.get $j)))))
            (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
        (v128.store (i32.add (i32.add (local.get $zp) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $dca) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (i32.add (local.get $zp) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $d) (local.get $t)) (f32x4.mul (local.get $o) (f32x4.sub (local.get $one) (local.get $o)))))
        (v128.store (i32.add (local.get $dcOut) (i32.add (local.get $hp) (local.get $j))) (f32x4.mul (local.get $dca) (local.get $f)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; One step of a GRU cell with the reset gate after the recurrent product (Keras
  ;; reset_after, PyTorch's nn.GRU), from the step's input projection p [batch, 3·units] and
  ;; recurrent one r0 = h·U + b [batch, 3·units] (columns z, r, candidate) and the state h:
  ;; zr = σ(p + r0) over the first 2·units columns, cand = tanh(p_c + r·r0_c), and the next
  ;; state hn = cand + z·(h − cand). units a multiple of 4.
  (func (export "grucell") (param $p i32) (param $q i32) (param $h i32) (param $zr i32) (param $cand i32) (param $hn i32) (param $batch i32) (param $units i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $pp i32) (local $qp i32) (local $zp i32) (local $hp i32)
    (local $z v128) (local $r v128) (local $cv v128) (local $hv v128)
    (local.set $hb (i32.shl (local.get $units) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $pp (i32.add (local.get $p) (i32.mul (local.get $b) (i32.mul (local.get $hb) (i32.const 3)))))
      (local.set $qp (i32.add (local.get $q) (i32.mul (local.get $b) (i32.mul (local.get $hb) (i32.const 3)))))
      (local.set $zp (i32.add (local.get $zr) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 1)))))
      (local.set $hp (i32.mul (local.get $b) (local.get $hb)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $z (call $sigmoid4 (f32x4.add (v128.load (i32.add (local.get $pp) (local.get $j))) (v128.load (i32.add (local.get $qp) (local.get $j))))))
        (local.set $r (call $sigmoid4 (f32x4.add (v128.load (i32.add (i32.add (local.get $pp) (local.get $hb)) (local.get $j))) (v128.load (i32.add (i32.add (local.get $qp) (local.get $hb)) (local.get $j))))))
        (v128.store (i32.add (local.get $zp) (local.get $j)) (local.get $z))
        (v128.store (i32.add (i32.add (local.get $zp) (local.get $hb)) (local.get $j)) (local.get $r))
        (local.set $cv (call $tanh4 (f32x4.add
          (v128.load (i32.add (i32.add (local.get $pp) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))
          (f32x4.mul (local.get $r) (v128.load (i32.add (i32.add (local.get $qp) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))))))
        (v128.store (i32.add (local.get $cand) (i32.add (local.get $hp) (local.get $j))) (local.get $cv))
        (local.set $hv (v128.load (i32.add (local.get $h) (i32.add (local.get $hp) (local.get $j)))))
        (v128.store (i32.add (local.get $hn) (i32.add (local.get $hp) (local.get $j)))
          (f32x4.add (local.get $cv) (f32x4.mul (local.get $z) (f32x4.sub (local.get $hv) (local.get $cv)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; The gradient of grucell's step from dh (of hn), with the step's h, zr, r0 and cand: dp
  ;; [batch, 3·units] (of p: the gates' pre-activations, then the candidate's), dq [batch,
  ;; 3·units] (of r0: the same gates, then the candidate's times r) and dhz = dh·z, the part
  ;; of h's gradient that does not pass through U.
  (func (export "grucellgrad") (param $dh i32) (param $h i32) (param $zr i32) (param $q i32) (param $cand i32) (param $dp i32) (param $dq i32) (param $dhz i32) (param $batch i32) (param $units i32)
    (local $b i32) (local $j i32) (local $hb i32) (local $qp i32) (local $zp i32) (local $hp i32) (local $pp i32)
    (local $z v128) (local $r v128) (local $cv v128) (local $d v128) (local $dc v128) (local $gz v128) (local $gr v128) (local $one v128)
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $hb (i32.shl (local.get $units) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $qp (i32.mul (local.get $b) (i32.mul (local.get $hb) (i32.const 3))))
      (local.set $zp (i32.add (local.get $zr) (i32.mul (local.get $b) (i32.shl (local.get $hb) (i32.const 1)))))
      (local.set $hp (i32.mul (local.get $b) (local.get $hb)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $z (v128.load (i32.add (local.get $zp) (local.get $j))))
        (local.set $r (v128.load (i32.add (i32.add (local.get $zp) (local.get $hb)) (local.get $j))))
        (local.set $cv (v128.load (i32.add (local.get $cand) (i32.add (local.get $hp) (local.get $j)))))
        (local.set $d (v128.load (i32.add (local.get $dh) (i32.add (local.get $hp) (local.get $j)))))
        ;; dc = dh·(1 − z)·(1 − cand²): the candidate's pre-activation
        (local.set $dc (f32x4.mul (f32x4.mul (local.get $d) (f32x4.sub (local.get $one) (local.get $z))) (f32x4.sub (local.get $one) (f32x4.mul (local.get $cv) (local.get $cv)))))
        ;; z's: dh·(h − cand)·z(1 − z); r's: dc·r0_c·r(1 − r)
        (local.set $gz (f32x4.mul (f32x4.mul (local.get $d) (f32x4.sub (v128.load (i32.add (local.get $h) (i32.add (local.get $hp) (local.get $j)))) (local.get $cv)))
          (f32x4.mul (local.get $z) (f32x4.sub (local.get $one) (local.get $z)))))
        (local.set $gr (f32x4.mul (f32x4.mul (local.get $dc) (v128.load (i32.add (local.get $q) (i32.add (i32.add (local.get $qp) (i32.shl (local.get $hb) (i32.const 1))) (local.get $j)))))
          (f32x4.mul (local.get $r) (f32x4.sub (local.get $one) (local.get $r)))))
        (local.set $pp (i32.add (local.get $qp) (local.get $j)))
        (v128.store (i32.add (local.get $dp) (local.get $pp)) (local.get $gz))
        (v128.store (i32.add (local.get $dp) (i32.add (local.get $pp) (local.get $hb))) (local.get $gr))
        (v128.store (i32.add (local.get $dp) (i32.add (local.get $pp) (i32.shl (local.get $hb) (i32.const 1)))) (local.get $dc))
        (v128.store (i32.add (local.get $dq) (local.get $pp)) (local.get $gz))
        (v128.store (i32.add (local.get $dq) (i32.add (local.get $pp) (local.get $hb))) (local.get $gr))
        (v128.store (i32.add (local.get $dq) (i32.add (local.get $pp) (i32.shl (local.get $hb) (i32.const 1)))) (f32x4.mul (local.get $dc) (local.get $r)))
        (v128.store (i32.add (local.get $dhz) (i32.add (local.get $hp) (local.get $j))) (f32x4.mul (local.get $d) (local.get $z)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; relugrad (below) for [rows, cols] (cols a multiple of 4) that also sums each column of dx into
  ;; sums [cols]: a relu layer's gradient and its bias's in one pass, where tf.sum read dx again.
  (func (export "relugradsums") (param $dy i32) (param $x i32) (param $dx i32) (param $sums i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $rowB i32) (local $v v128) (local $g v128) (local $at i32)
    (local.set $rowB (i32.shl (local.get $cols) (i32.const 2)))
    (memory.fill (local.get $sums) (i32.const 0) (local.get $rowB))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $rowB)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $c))))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $c))))
        ;; relugrad's: dy where x > 0, dy · 0 where not, dy · x where x is NaN
        (local.set $g
          (v128.bitselect
            (f32x4.mul (local.get $g) (local.get $v))
            (v128.bitselect (local.get $g) (f32x4.mul (local.get $g) (f32x4.splat (f32.const 0))) (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
            (f32x4.ne (local.get $v) (local.get $v))))
        (v128.store (i32.add (local.get $dx) (local.get $c)) (local.get $g))
        (local.set $at (i32.add (local.get $sums) (local.get $c)))
        (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $g)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $cl)))
      (local.set $x (i32.add (local.get $x) (local.get $rowB)))
      (local.set $dy (i32.add (local.get $dy) (local.get $rowB)))
      (local.set $dx (i32.add (local.get $dx) (local.get $rowB)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

;; Relu's gradient in one pass: dx = dy · step(x) as tfjs-core computes it (dy where x > 0,
  ;; dy · 0 elsewhere, NaN where x is NaN), without step(x) as a tensor of its own.
  (func (export "relugrad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $g v128) (local $s f32) (local $t f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $g (v128.load (i32.add (local.get $dy) (local.get $i))))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (v128.bitselect
          (f32x4.mul (local.get $g) (local.get $v))
          (v128.bitselect (local.get $g) (f32x4.mul (local.get $g) (f32x4.splat (f32.const 0))) (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
          (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
      (local.set $t (f32.load (i32.add (local.get $dy) (local.get $i))))
      (f32.store (i32.add (local.get $dx) (local.get $i))
        (select (f32.mul (local.get $t) (local.get $s))
          (select (local.get $t) (f32.mul (local.get $t) (f32.const 0)) (f32.gt (local.get $s) (f32.const 0)))
          (f32.ne (local.get $s) (local.get $s))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))

  ;; dst[i] = 1 where x[i] > 0, alpha elsewhere, NaN where x[i] is NaN (float32): Step, which
  ;; Relu's gradient multiplies by.
  (func (export "step") (param $x i32) (param $dst i32) (param $n i32) (param $alpha f32)
    (local $i i32) (local $end i32) (local $v v128) (local $one v128) (local $a v128) (local $s f32)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (v128.bitselect
          (local.get $v)
          (v128.bitselect (local.get $one) (local.get $a) (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
          (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
      (f32.store (i32.add (local.get $dst) (local.get $i))
        (select (local.get $s)
          (select (f32.const 1) (local.get $alpha) (f32.gt (local.get $s) (f32.const 0)))
          (f32.ne (local.get $s) (local.get $s))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))
)
