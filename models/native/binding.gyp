{
  "targets": [
    {
      "target_name": "edgevis_pixels",
      "sources": [ "pixels.c" ],
      # -O3 for the loops; -ffp-contract=off so no multiply-add is fused: every value must be the
      # same double arithmetic as the JavaScript kernels (no -ffast-math for the same reason).
      "cflags": [ "-O3", "-ffp-contract=off", "-std=c11", "-Wall", "-Wextra" ],
      "cflags!": [ "-O2" ]
    }
  ]
}
