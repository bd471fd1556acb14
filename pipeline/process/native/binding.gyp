{
  "targets": [
    {
      "target_name": "edgevis_process",
      "sources": [ "process.c" ],
      "cflags": [ "-std=gnu11", "-Wall", "-Wextra" ]
    }
  ]
}
