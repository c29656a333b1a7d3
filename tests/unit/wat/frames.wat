;; frames.wat - test_emit.c's small and big frames (lower_frame_small):
;; $small recurses with a frame of a few words; $big keeps 260 v128
;; values live across its recursive call and stores their xor after it,
;; a frame of over 4 KB at -O2, more than KILN_SMALL_FRAME_MAX, so its
;; partition is lowered again with $big checked against its frame-table
;; entry.
(module
  (memory 1)
  (func $small (export "small") (param $d i32) (result i32)
    (if (result i32) (local.get $d)
      (then (i32.add (call $small (i32.sub (local.get $d) (i32.const 1))) (i32.const 1)))
      (else (i32.const 0))))
  (func $big (export "big") (param $d i32) (result i32)
    (i32.const 4096)
    (v128.load offset=0 (i32.const 0))
    (v128.load offset=16 (i32.const 0))
    (v128.load offset=32 (i32.const 0))
    (v128.load offset=48 (i32.const 0))
    (v128.load offset=64 (i32.const 0))
    (v128.load offset=80 (i32.const 0))
    (v128.load offset=96 (i32.const 0))
    (v128.load offset=112 (i32.const 0))
    (v128.load offset=128 (i32.const 0))
    (v128.load offset=144 (i32.const 0))
    (v128.load offset=160 (i32.const 0))
    (v128.load offset=176 (i32.const 0))
    (v128.load offset=192 (i32.const 0))
    (v128.load offset=208 (i32.const 0))
    (v128.load offset=224 (i32.const 0))
    (v128.load offset=240 (i32.const 0))
    (v128.load offset=256 (i32.const 0))
    (v128.load offset=272 (i32.const 0))
    (v128.load offset=288 (i32.const 0))
    (v128.load offset=304 (i32.const 0))
    (v128.load offset=320 (i32.const 0))
    (v128.load offset=336 (i32.const 0))
    (v128.load offset=352 (i32.const 0))
    (v128.load offset=368 (i32.const 0))
    (v128.load offset=384 (i32.const 0))
    (v128.load offset=400 (i32.const 0))
    (v128.load offset=416 (i32.const 0))
    (v128.load offset=432 (i32.const 0))
    (v128.load offset=448 (i32.const 0))
    (v128.load offset=464 (i32.const 0))
    (v128.load offset=480 (i32.const 0))
    (v128.load offset=496 (i32.const 0))
    (v128.load offset=512 (i32.const 0))
    (v128.load offset=528 (i32.const 0))
    (v128.load offset=544 (i32.const 0))
    (v128.load offset=560 (i32.const 0))
    (v128.load offset=576 (i32.const 0))
    (v128.load offset=592 (i32.const 0))
    (v128.load offset=608 (i32.const 0))
    (v128.load offset=624 (i32.const 0))
    (v128.load offset=640 (i32.const 0))
    (v128.load offset=656 (i32.const 0))
    (v128.load offset=672 (i32.const 0))
    (v128.load offset=688 (i32.const 0))
    (v128.load offset=704 (i32.const 0))
    (v128.load offset=720 (i32.const 0))
    (v128.load offset=736 (i32.const 0))
    (v128.load offset=752 (i32.const 0))
    (v128.load offset=768 (i32.const 0))
    (v128.load offset=784 (i32.const 0))
    (v128.load offset=800 (i32.const 0))
    (v128.load offset=816 (i32.const 0))
    (v128.load offset=832 (i32.const 0))
    (v128.load offset=848 (i32.const 0))
    (v128.load offset=864 (i32.const 0))
    (v128.load offset=880 (i32.const 0))
    (v128.load offset=896 (i32.const 0))
    (v128.load offset=912 (i32.const 0))
    (v128.load offset=928 (i32.const 0))
    (v128.load offset=944 (i32.const 0))
    (v128.load offset=960 (i32.const 0))
    (v128.load offset=976 (i32.const 0))
    (v128.load offset=992 (i32.const 0))
    (v128.load offset=1008 (i32.const 0))
    (v128.load offset=1024 (i32.const 0))
    (v128.load offset=1040 (i32.const 0))
    (v128.load offset=1056 (i32.const 0))
    (v128.load offset=1072 (i32.const 0))
    (v128.load offset=1088 (i32.const 0))
    (v128.load offset=1104 (i32.const 0))
    (v128.load offset=1120 (i32.const 0))
    (v128.load offset=1136 (i32.const 0))
    (v128.load offset=1152 (i32.const 0))
    (v128.load offset=1168 (i32.const 0))
    (v128.load offset=1184 (i32.const 0))
    (v128.load offset=1200 (i32.const 0))
    (v128.load offset=1216 (i32.const 0))
    (v128.load offset=1232 (i32.const 0))
    (v128.load offset=1248 (i32.const 0))
    (v128.load offset=1264 (i32.const 0))
    (v128.load offset=1280 (i32.const 0))
    (v128.load offset=1296 (i32.const 0))
    (v128.load offset=1312 (i32.const 0))
    (v128.load offset=1328 (i32.const 0))
    (v128.load offset=1344 (i32.const 0))
    (v128.load offset=1360 (i32.const 0))
    (v128.load offset=1376 (i32.const 0))
    (v128.load offset=1392 (i32.const 0))
    (v128.load offset=1408 (i32.const 0))
    (v128.load offset=1424 (i32.const 0))
    (v128.load offset=1440 (i32.const 0))
    (v128.load offset=1456 (i32.const 0))
    (v128.load offset=1472 (i32.const 0))
    (v128.load offset=1488 (i32.const 0))
    (v128.load offset=1504 (i32.const 0))
    (v128.load offset=1520 (i32.const 0))
    (v128.load offset=1536 (i32.const 0))
    (v128.load offset=1552 (i32.const 0))
    (v128.load offset=1568 (i32.const 0))
    (v128.load offset=1584 (i32.const 0))
    (v128.load offset=1600 (i32.const 0))
    (v128.load offset=1616 (i32.const 0))
    (v128.load offset=1632 (i32.const 0))
    (v128.load offset=1648 (i32.const 0))
    (v128.load offset=1664 (i32.const 0))
    (v128.load offset=1680 (i32.const 0))
    (v128.load offset=1696 (i32.const 0))
    (v128.load offset=1712 (i32.const 0))
    (v128.load offset=1728 (i32.const 0))
    (v128.load offset=1744 (i32.const 0))
    (v128.load offset=1760 (i32.const 0))
    (v128.load offset=1776 (i32.const 0))
    (v128.load offset=1792 (i32.const 0))
    (v128.load offset=1808 (i32.const 0))
    (v128.load offset=1824 (i32.const 0))
    (v128.load offset=1840 (i32.const 0))
    (v128.load offset=1856 (i32.const 0))
    (v128.load offset=1872 (i32.const 0))
    (v128.load offset=1888 (i32.const 0))
    (v128.load offset=1904 (i32.const 0))
    (v128.load offset=1920 (i32.const 0))
    (v128.load offset=1936 (i32.const 0))
    (v128.load offset=1952 (i32.const 0))
    (v128.load offset=1968 (i32.const 0))
    (v128.load offset=1984 (i32.const 0))
    (v128.load offset=2000 (i32.const 0))
    (v128.load offset=2016 (i32.const 0))
    (v128.load offset=2032 (i32.const 0))
    (v128.load offset=2048 (i32.const 0))
    (v128.load offset=2064 (i32.const 0))
    (v128.load offset=2080 (i32.const 0))
    (v128.load offset=2096 (i32.const 0))
    (v128.load offset=2112 (i32.const 0))
    (v128.load offset=2128 (i32.const 0))
    (v128.load offset=2144 (i32.const 0))
    (v128.load offset=2160 (i32.const 0))
    (v128.load offset=2176 (i32.const 0))
    (v128.load offset=2192 (i32.const 0))
    (v128.load offset=2208 (i32.const 0))
    (v128.load offset=2224 (i32.const 0))
    (v128.load offset=2240 (i32.const 0))
    (v128.load offset=2256 (i32.const 0))
    (v128.load offset=2272 (i32.const 0))
    (v128.load offset=2288 (i32.const 0))
    (v128.load offset=2304 (i32.const 0))
    (v128.load offset=2320 (i32.const 0))
    (v128.load offset=2336 (i32.const 0))
    (v128.load offset=2352 (i32.const 0))
    (v128.load offset=2368 (i32.const 0))
    (v128.load offset=2384 (i32.const 0))
    (v128.load offset=2400 (i32.const 0))
    (v128.load offset=2416 (i32.const 0))
    (v128.load offset=2432 (i32.const 0))
    (v128.load offset=2448 (i32.const 0))
    (v128.load offset=2464 (i32.const 0))
    (v128.load offset=2480 (i32.const 0))
    (v128.load offset=2496 (i32.const 0))
    (v128.load offset=2512 (i32.const 0))
    (v128.load offset=2528 (i32.const 0))
    (v128.load offset=2544 (i32.const 0))
    (v128.load offset=2560 (i32.const 0))
    (v128.load offset=2576 (i32.const 0))
    (v128.load offset=2592 (i32.const 0))
    (v128.load offset=2608 (i32.const 0))
    (v128.load offset=2624 (i32.const 0))
    (v128.load offset=2640 (i32.const 0))
    (v128.load offset=2656 (i32.const 0))
    (v128.load offset=2672 (i32.const 0))
    (v128.load offset=2688 (i32.const 0))
    (v128.load offset=2704 (i32.const 0))
    (v128.load offset=2720 (i32.const 0))
    (v128.load offset=2736 (i32.const 0))
    (v128.load offset=2752 (i32.const 0))
    (v128.load offset=2768 (i32.const 0))
    (v128.load offset=2784 (i32.const 0))
    (v128.load offset=2800 (i32.const 0))
    (v128.load offset=2816 (i32.const 0))
    (v128.load offset=2832 (i32.const 0))
    (v128.load offset=2848 (i32.const 0))
    (v128.load offset=2864 (i32.const 0))
    (v128.load offset=2880 (i32.const 0))
    (v128.load offset=2896 (i32.const 0))
    (v128.load offset=2912 (i32.const 0))
    (v128.load offset=2928 (i32.const 0))
    (v128.load offset=2944 (i32.const 0))
    (v128.load offset=2960 (i32.const 0))
    (v128.load offset=2976 (i32.const 0))
    (v128.load offset=2992 (i32.const 0))
    (v128.load offset=3008 (i32.const 0))
    (v128.load offset=3024 (i32.const 0))
    (v128.load offset=3040 (i32.const 0))
    (v128.load offset=3056 (i32.const 0))
    (v128.load offset=3072 (i32.const 0))
    (v128.load offset=3088 (i32.const 0))
    (v128.load offset=3104 (i32.const 0))
    (v128.load offset=3120 (i32.const 0))
    (v128.load offset=3136 (i32.const 0))
    (v128.load offset=3152 (i32.const 0))
    (v128.load offset=3168 (i32.const 0))
    (v128.load offset=3184 (i32.const 0))
    (v128.load offset=3200 (i32.const 0))
    (v128.load offset=3216 (i32.const 0))
    (v128.load offset=3232 (i32.const 0))
    (v128.load offset=3248 (i32.const 0))
    (v128.load offset=3264 (i32.const 0))
    (v128.load offset=3280 (i32.const 0))
    (v128.load offset=3296 (i32.const 0))
    (v128.load offset=3312 (i32.const 0))
    (v128.load offset=3328 (i32.const 0))
    (v128.load offset=3344 (i32.const 0))
    (v128.load offset=3360 (i32.const 0))
    (v128.load offset=3376 (i32.const 0))
    (v128.load offset=3392 (i32.const 0))
    (v128.load offset=3408 (i32.const 0))
    (v128.load offset=3424 (i32.const 0))
    (v128.load offset=3440 (i32.const 0))
    (v128.load offset=3456 (i32.const 0))
    (v128.load offset=3472 (i32.const 0))
    (v128.load offset=3488 (i32.const 0))
    (v128.load offset=3504 (i32.const 0))
    (v128.load offset=3520 (i32.const 0))
    (v128.load offset=3536 (i32.const 0))
    (v128.load offset=3552 (i32.const 0))
    (v128.load offset=3568 (i32.const 0))
    (v128.load offset=3584 (i32.const 0))
    (v128.load offset=3600 (i32.const 0))
    (v128.load offset=3616 (i32.const 0))
    (v128.load offset=3632 (i32.const 0))
    (v128.load offset=3648 (i32.const 0))
    (v128.load offset=3664 (i32.const 0))
    (v128.load offset=3680 (i32.const 0))
    (v128.load offset=3696 (i32.const 0))
    (v128.load offset=3712 (i32.const 0))
    (v128.load offset=3728 (i32.const 0))
    (v128.load offset=3744 (i32.const 0))
    (v128.load offset=3760 (i32.const 0))
    (v128.load offset=3776 (i32.const 0))
    (v128.load offset=3792 (i32.const 0))
    (v128.load offset=3808 (i32.const 0))
    (v128.load offset=3824 (i32.const 0))
    (v128.load offset=3840 (i32.const 0))
    (v128.load offset=3856 (i32.const 0))
    (v128.load offset=3872 (i32.const 0))
    (v128.load offset=3888 (i32.const 0))
    (v128.load offset=3904 (i32.const 0))
    (v128.load offset=3920 (i32.const 0))
    (v128.load offset=3936 (i32.const 0))
    (v128.load offset=3952 (i32.const 0))
    (v128.load offset=3968 (i32.const 0))
    (v128.load offset=3984 (i32.const 0))
    (v128.load offset=4000 (i32.const 0))
    (v128.load offset=4016 (i32.const 0))
    (v128.load offset=4032 (i32.const 0))
    (v128.load offset=4048 (i32.const 0))
    (v128.load offset=4064 (i32.const 0))
    (v128.load offset=4080 (i32.const 0))
    (v128.load offset=4096 (i32.const 0))
    (v128.load offset=4112 (i32.const 0))
    (v128.load offset=4128 (i32.const 0))
    (v128.load offset=4144 (i32.const 0))
    (if (local.get $d)
      (then (drop (call $big (i32.sub (local.get $d) (i32.const 1))))))
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.xor
    v128.store
    (i32.const 1)))
