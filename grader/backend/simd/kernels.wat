;; Training kernels in WebAssembly SIMD128 that run on tfjs-backend-wasm's own
;; heap: the module imports that backend's memory, so a kernel reads its
;; inputs and writes its outputs in place, with no copy, at the byte offsets
;; the backend gave the tensors. Built into kernels-wasm.ts by
;; `npm run build:wasm` (test/simd.test.ts checks the two agree).
;;
;; Each one replaces passes that tfjs runs as several kernels, or that were a
;; JS loop: 4 floats per instruction here against 1 there.
(module
  (import "env" "memory" (memory 0))

  ;; One Adam step for n float32 values, in exactly stock tfjs's operations
  ;; and order (so the results are the same to the bit):
  ;;   m' = m·β1 + g·c1        v' = v·β2 + (g·g)·c2
  ;;   w' = ((m'/bc1) / (√(v'/bc2) + ε))·(−lr) + w
  ;; with bc1 = 1 − accβ1 and bc2 = 1 − accβ2 read from their scalars.
  (func (export "adam")
    (param $w i32) (param $m i32) (param $v i32) (param $g i32)
    (param $ow i32) (param $om i32) (param $ov i32) (param $n i32)
    (param $acc1 i32) (param $acc2 i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $eps f32) (param $nlr f32)
    (local $bc1 f32) (local $bc2 f32) (local $o i32) (local $end4 i32) (local $end i32)
    (local $gv v128) (local $nm v128) (local $nv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $bc1 (f32.sub (f32.const 1) (f32.load (local.get $acc1))))
    (local.set $bc2 (f32.sub (f32.const 1) (f32.load (local.get $acc2))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end4)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
      (local.set $nm (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (f32x4.splat (local.get $b1)))
        (f32x4.mul (local.get $gv) (f32x4.splat (local.get $c1)))))
      (local.set $nv (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (f32x4.splat (local.get $b2)))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $c2)))))
      (v128.store (i32.add (local.get $om) (local.get $o)) (local.get $nm))
      (v128.store (i32.add (local.get $ov) (local.get $o)) (local.get $nv))
      (v128.store (i32.add (local.get $ow) (local.get $o))
        (f32x4.add
          (f32x4.mul
            (f32x4.div
              (f32x4.div (local.get $nm) (f32x4.splat (local.get $bc1)))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $nv) (f32x4.splat (local.get $bc2)))) (f32x4.splat (local.get $eps))))
            (f32x4.splat (local.get $nlr)))
          (v128.load (i32.add (local.get $w) (local.get $o)))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
      (local.set $ms (f32.add
        (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
        (f32.mul (local.get $gs) (local.get $c1))))
      (local.set $vs (f32.add
        (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
        (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
      (f32.store (i32.add (local.get $om) (local.get $o)) (local.get $ms))
      (f32.store (i32.add (local.get $ov) (local.get $o)) (local.get $vs))
      (f32.store (i32.add (local.get $ow) (local.get $o))
        (f32.add
          (f32.mul
            (f32.div
              (f32.div (local.get $ms) (local.get $bc1))
              (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $bc2))) (local.get $eps)))
            (local.get $nlr))
          (f32.load (i32.add (local.get $w) (local.get $o)))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $next))))

  ;; ClipByValue's gradient (ReLU6's): out = lo ≤ x ≤ hi ? dy : 0 (NaN x: 0).
  (func (export "clip_grad")
    (param $dy i32) (param $x i32) (param $out i32) (param $n i32) (param $lo f32) (param $hi f32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $xv v128) (local $xs f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end4)))
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $o))))
      (v128.store (i32.add (local.get $out) (local.get $o))
        (v128.and
          (v128.load (i32.add (local.get $dy) (local.get $o)))
          (v128.and (f32x4.ge (local.get $xv) (f32x4.splat (local.get $lo))) (f32x4.le (local.get $xv) (f32x4.splat (local.get $hi))))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $xs (f32.load (i32.add (local.get $x) (local.get $o))))
      (f32.store (i32.add (local.get $out) (local.get $o))
        (select
          (f32.load (i32.add (local.get $dy) (local.get $o)))
          (f32.const 0)
          (i32.and (f32.ge (local.get $xs) (local.get $lo)) (f32.le (local.get $xs) (local.get $hi)))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $next))))

  ;; One tap of a depthwise filter gradient (depth multiplier 1), per channel:
  ;;   out[ch] = Σ over b < nb, y < ny, x < nx of
  ;;             X[xp + b·xsb + y·xsy + x·xsx + 4ch] · D[dp + b·dsb + y·dsy + x·dsx + 4ch]
  ;; (byte offsets and strides; the caller clips y and x to the positions
  ;; where the tap reads inside the input). Channels go 16, then 4, then 1 at
  ;; a time, accumulated in float32 (as XNNPACK accumulates its convolutions).
  (func (export "dw_filter_tap")
    (param $xp i32) (param $dp i32) (param $out i32) (param $c i32)
    (param $nb i32) (param $ny i32) (param $nx i32)
    (param $xsb i32) (param $xsy i32) (param $xsx i32) (param $dsb i32) (param $dsy i32) (param $dsx i32)
    (local $ch i32)
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $ch) (i32.const 16)) (local.get $c)))
      (call $taps16 (i32.add (local.get $xp) (i32.shl (local.get $ch) (i32.const 2))) (i32.add (local.get $dp) (i32.shl (local.get $ch) (i32.const 2)))
        (i32.add (local.get $out) (i32.shl (local.get $ch) (i32.const 2)))
        (local.get $nb) (local.get $ny) (local.get $nx) (local.get $xsb) (local.get $xsy) (local.get $xsx) (local.get $dsb) (local.get $dsy) (local.get $dsx))
      (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
      (call $taps4 (i32.add (local.get $xp) (i32.shl (local.get $ch) (i32.const 2))) (i32.add (local.get $dp) (i32.shl (local.get $ch) (i32.const 2)))
        (i32.add (local.get $out) (i32.shl (local.get $ch) (i32.const 2)))
        (local.get $nb) (local.get $ny) (local.get $nx) (local.get $xsb) (local.get $xsy) (local.get $xsx) (local.get $dsb) (local.get $dsy) (local.get $dsx))
      (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
      (br $next)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $ch) (local.get $c)))
      (call $taps1 (i32.add (local.get $xp) (i32.shl (local.get $ch) (i32.const 2))) (i32.add (local.get $dp) (i32.shl (local.get $ch) (i32.const 2)))
        (i32.add (local.get $out) (i32.shl (local.get $ch) (i32.const 2)))
        (local.get $nb) (local.get $ny) (local.get $nx) (local.get $xsb) (local.get $xsy) (local.get $xsx) (local.get $dsb) (local.get $dsy) (local.get $dsx))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $next))))

  (func $taps16
    (param $xp i32) (param $dp i32) (param $out i32)
    (param $nb i32) (param $ny i32) (param $nx i32)
    (param $xsb i32) (param $xsy i32) (param $xsx i32) (param $dsb i32) (param $dsy i32) (param $dsx i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b i32) (local $y i32) (local $x i32) (local $xr i32) (local $dr i32) (local $xq i32) (local $dq i32)
    (block $bdone (loop $bnext
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $nb)))
      (local.set $xr (i32.add (local.get $xp) (i32.mul (local.get $b) (local.get $xsb))))
      (local.set $dr (i32.add (local.get $dp) (i32.mul (local.get $b) (local.get $dsb))))
      (local.set $y (i32.const 0))
      (block $ydone (loop $ynext
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $xq (local.get $xr))
        (local.set $dq (local.get $dr))
        (local.set $x (local.get $nx))
        (block $xdone (loop $xnext
          (br_if $xdone (i32.eqz (local.get $x)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xq)) (v128.load (local.get $dq)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $xq)) (v128.load offset=16 (local.get $dq)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $xq)) (v128.load offset=32 (local.get $dq)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $xq)) (v128.load offset=48 (local.get $dq)))))
          (local.set $xq (i32.add (local.get $xq) (local.get $xsx)))
          (local.set $dq (i32.add (local.get $dq) (local.get $dsx)))
          (local.set $x (i32.sub (local.get $x) (i32.const 1)))
          (br $xnext)))
        (local.set $xr (i32.add (local.get $xr) (local.get $xsy)))
        (local.set $dr (i32.add (local.get $dr) (local.get $dsy)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ynext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bnext)))
    (v128.store (local.get $out) (local.get $a0))
    (v128.store offset=16 (local.get $out) (local.get $a1))
    (v128.store offset=32 (local.get $out) (local.get $a2))
    (v128.store offset=48 (local.get $out) (local.get $a3)))

  (func $taps4
    (param $xp i32) (param $dp i32) (param $out i32)
    (param $nb i32) (param $ny i32) (param $nx i32)
    (param $xsb i32) (param $xsy i32) (param $xsx i32) (param $dsb i32) (param $dsy i32) (param $dsx i32)
    (local $a0 v128)
    (local $b i32) (local $y i32) (local $x i32) (local $xr i32) (local $dr i32) (local $xq i32) (local $dq i32)
    (block $bdone (loop $bnext
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $nb)))
      (local.set $xr (i32.add (local.get $xp) (i32.mul (local.get $b) (local.get $xsb))))
      (local.set $dr (i32.add (local.get $dp) (i32.mul (local.get $b) (local.get $dsb))))
      (local.set $y (i32.const 0))
      (block $ydone (loop $ynext
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $xq (local.get $xr))
        (local.set $dq (local.get $dr))
        (local.set $x (local.get $nx))
        (block $xdone (loop $xnext
          (br_if $xdone (i32.eqz (local.get $x)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xq)) (v128.load (local.get $dq)))))
          (local.set $xq (i32.add (local.get $xq) (local.get $xsx)))
          (local.set $dq (i32.add (local.get $dq) (local.get $dsx)))
          (local.set $x (i32.sub (local.get $x) (i32.const 1)))
          (br $xnext)))
        (local.set $xr (i32.add (local.get $xr) (local.get $xsy)))
        (local.set $dr (i32.add (local.get $dr) (local.get $dsy)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ynext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bnext)))
    (v128.store (local.get $out) (local.get $a0)))

  (func $taps1
    (param $xp i32) (param $dp i32) (param $out i32)
    (param $nb i32) (param $ny i32) (param $nx i32)
    (param $xsb i32) (param $xsy i32) (param $xsx i32) (param $dsb i32) (param $dsy i32) (param $dsx i32)
    (local $a0 f32)
    (local $b i32) (local $y i32) (local $x i32) (local $xr i32) (local $dr i32) (local $xq i32) (local $dq i32)
    (block $bdone (loop $bnext
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $nb)))
      (local.set $xr (i32.add (local.get $xp) (i32.mul (local.get $b) (local.get $xsb))))
      (local.set $dr (i32.add (local.get $dp) (i32.mul (local.get $b) (local.get $dsb))))
      (local.set $y (i32.const 0))
      (block $ydone (loop $ynext
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $xq (local.get $xr))
        (local.set $dq (local.get $dr))
        (local.set $x (local.get $nx))
        (block $xdone (loop $xnext
          (br_if $xdone (i32.eqz (local.get $x)))
          (local.set $a0 (f32.add (local.get $a0) (f32.mul (f32.load (local.get $xq)) (f32.load (local.get $dq)))))
          (local.set $xq (i32.add (local.get $xq) (local.get $xsx)))
          (local.set $dq (i32.add (local.get $dq) (local.get $dsx)))
          (local.set $x (i32.sub (local.get $x) (i32.const 1)))
          (br $xnext)))
        (local.set $xr (i32.add (local.get $xr) (local.get $xsy)))
        (local.set $dr (i32.add (local.get $dr) (local.get $dsy)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ynext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bnext)))
    (f32.store (local.get $out) (local.get $a0)))

  ;; Per-channel passes over a [rows, c] float32 tensor (NHWC flattened), for
  ;; BatchNormalization in training. Each adds into float32 accumulators of c
  ;; values; the caller takes blocks of rows and sums the blocks in float64.
  ;; Channels go 4 at a time, then 1.

  ;; acc[ch] += Σ_r x[r, ch]
  (func (export "ch_acc_sum") (param $x i32) (param $rows i32) (param $c i32) (param $acc i32)
    (local $o i32) (local $end4 i32) (local $end i32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.eqz (local.get $rows)))
      (local.set $o (i32.const 0))
      (block $d4 (loop $n4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $end4)))
        (v128.store (i32.add (local.get $acc) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $o))) (v128.load (i32.add (local.get $x) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n4)))
      (block $d1 (loop $n1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $acc) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $acc) (local.get $o))) (f32.load (i32.add (local.get $x) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $n1)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rnext))))

  ;; acc[ch] += Σ_r (x[r, ch] − mean[ch])²
  (func (export "ch_acc_sqdev") (param $x i32) (param $mean i32) (param $rows i32) (param $c i32) (param $acc i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $d v128) (local $s f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.eqz (local.get $rows)))
      (local.set $o (i32.const 0))
      (block $d4 (loop $n4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $end4)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $mean) (local.get $o)))))
        (v128.store (i32.add (local.get $acc) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $o))) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n4)))
      (block $d1 (loop $n1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $s (f32.sub (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $mean) (local.get $o)))))
        (f32.store (i32.add (local.get $acc) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $acc) (local.get $o))) (f32.mul (local.get $s) (local.get $s))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $n1)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rnext))))

  ;; sdy[ch] += Σ_r dy[r, ch];  sdyx[ch] += Σ_r dy[r, ch]·(x[r, ch] − mean[ch])
  (func (export "ch_acc_grad") (param $dy i32) (param $x i32) (param $mean i32) (param $rows i32) (param $c i32) (param $sdy i32) (param $sdyx i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $g v128) (local $gs f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.eqz (local.get $rows)))
      (local.set $o (i32.const 0))
      (block $d4 (loop $n4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $end4)))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $o))))
        (v128.store (i32.add (local.get $sdy) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $sdy) (local.get $o))) (local.get $g)))
        (v128.store (i32.add (local.get $sdyx) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $sdyx) (local.get $o)))
            (f32x4.mul (local.get $g) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $mean) (local.get $o)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n4)))
      (block $d1 (loop $n1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $dy) (local.get $o))))
        (f32.store (i32.add (local.get $sdy) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $sdy) (local.get $o))) (local.get $gs)))
        (f32.store (i32.add (local.get $sdyx) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $sdyx) (local.get $o)))
            (f32.mul (local.get $gs) (f32.sub (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $mean) (local.get $o)))))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $n1)))
      (local.set $dy (i32.add (local.get $dy) (local.get $end)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rnext))))

  ;; out[r, ch] = (k[ch]·dy[r, ch] + a[ch]·x[r, ch]) + b[ch]
  (func (export "ch_affine2") (param $dy i32) (param $x i32) (param $k i32) (param $a i32) (param $b i32) (param $out i32) (param $rows i32) (param $c i32)
    (local $o i32) (local $end4 i32) (local $end i32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.eqz (local.get $rows)))
      (local.set $o (i32.const 0))
      (block $d4 (loop $n4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $end4)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $k) (local.get $o))) (v128.load (i32.add (local.get $dy) (local.get $o))))
              (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $o))) (v128.load (i32.add (local.get $x) (local.get $o)))))
            (v128.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n4)))
      (block $d1 (loop $n1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $o))
          (f32.add
            (f32.add
              (f32.mul (f32.load (i32.add (local.get $k) (local.get $o))) (f32.load (i32.add (local.get $dy) (local.get $o))))
              (f32.mul (f32.load (i32.add (local.get $a) (local.get $o))) (f32.load (i32.add (local.get $x) (local.get $o)))))
            (f32.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $n1)))
      (local.set $dy (i32.add (local.get $dy) (local.get $end)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rnext))))

  ;; out[r, ch] = x[r, ch] + b[ch]: a bias added to every row (stock wasm
  ;; broadcasts element by element, computing each index).
  (func (export "ch_add") (param $x i32) (param $b i32) (param $out i32) (param $rows i32) (param $c i32)
    (local $o i32) (local $end4 i32) (local $end i32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rdone (loop $rnext
      (br_if $rdone (i32.eqz (local.get $rows)))
      (local.set $o (i32.const 0))
      (block $d4 (loop $n4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $end4)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n4)))
      (block $d1 (loop $n1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $out) (local.get $o))
          (f32.add (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $b) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $n1)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rnext))))
)
