{
  "targets": [
    {
      "target_name": "podipc_native",
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "bench/native/addon.cc",
            "bench/native/common.cc",
            "bench/native/mq_posix.cc",
            "bench/native/sysv_msg.cc",
            "bench/native/interrupt.cc",
            "bench/native/futex.cc",
            "bench/native/posix_sem.cc",
            "bench/native/sysv_sem.cc",
            "bench/native/sysv_keys.cc",
            "bench/native/crc32c.cc",
            "bench/native/crc32c_napi.cc",
            "bench/native/clock.cc"
          ],
          "libraries": ["-lrt", "-lpthread"]
        }, {
          "sources": ["bench/native/unsupported.cc"],
          "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES"},
          "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1}}
        }]
      ]
    },
    {
      "target_name": "podipc_probe",
      "type": "executable",
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["bench/native/crc32c.cc", "<!@(ls -1 bench/native/probe/*.cc bench/native/probe/mechanisms/*.cc)"],
          "libraries": ["-lrt", "-lpthread"],
          "ldflags": ["-static-libstdc++", "-static-libgcc"]
        }, {
          "sources": ["bench/native/probe/unsupported/main.cc"],
          "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES"}
        }]
      ]
    }
  ],
  "variables": {
    "with_ring_replay": "<!(test -f test/native/ring_replay.cc && echo 1 || echo 0)"
  },
  "conditions": [
    ["OS=='linux' and with_ring_replay==1", {
      "targets": [
        {
          "target_name": "podipc_ring_replay",
          "type": "executable",
          "cflags!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
          "sources": [
            "test/native/ring_replay.cc",
            "bench/native/probe/shm_ring.cc",
            "bench/native/probe/frame.cc",
            "bench/native/crc32c.cc",
            "bench/native/probe/crc32c.cc",
            "bench/native/probe/util.cc"
          ],
          "libraries": ["-lrt", "-lpthread"]
        }
      ]
    }]
  ]
}
