/*
 * edgevis process calls that Node.js 20 does not offer (pipeline/process/process-control.ts wraps them):
 *
 * - execve(file, argv, env): replaces the running program by a new one in the same process (same
 *   PID, same process group, same open descriptors). The CLI uses it to start again with settings
 *   that only count when a process starts (MALLOC_ARENA_MAX is read by glibc, UV_THREADPOOL_SIZE
 *   by libuv, --single-threaded-gc by V8): a child process instead would be a second process that
 *   a group signal reaches twice and that can outlive its parent. (Node 22.15 has process.execve.)
 *   The standard descriptors stay open in the new program (Node marks them close-on-exec).
 *   Returns only on failure, by throwing an Error with the errno text.
 * - exitNow(code): _exit(2): ends the process at once, without atexit handlers or C++ static
 *   destructors, which would run while inference threads are still inside ONNX Runtime (a forced
 *   stop with exit() aborted with "terminate called after throwing an instance of 'Napi::Error'").
 * - mallocArenas(): how many malloc arenas glibc has made (the <heap nr=...> entries of malloc_info).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copies a JavaScript string into a new C string; NULL with an exception pending otherwise. */
static char *string_arg(napi_env env, napi_value v, const char *what) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  char *s = malloc(length + 1);
  if (!s) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  napi_get_value_string_utf8(env, v, s, length + 1, &length);
  return s;
}

/* A NULL-terminated array of C strings from a JavaScript array of strings; NULL with an exception pending otherwise. */
static char **string_array_arg(napi_env env, napi_value v, const char *what) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) { napi_throw_type_error(env, NULL, what); return NULL; }
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, v, i, &item);
    out[i] = string_arg(env, item, what);
    if (!out[i]) return NULL; /* the process is about to be replaced or to throw: nothing to free for */
  }
  return out;
}

static napi_value js_execve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 3) { napi_throw_type_error(env, NULL, "execve(file, argv, env) takes three arguments"); return NULL; }
  char *file = string_arg(env, args[0], "execve: file must be a string");
  if (!file) return NULL;
  char **argv = string_array_arg(env, args[1], "execve: argv must be an array of strings");
  if (!argv) return NULL;
  char **envp = string_array_arg(env, args[2], "execve: env must be an array of strings");
  if (!envp) return NULL;
  /* Standard output may hold data written through stdio (none in Node, whose writes are direct). */
  fflush(NULL);
  /* Node marks the standard descriptors close-on-exec at start; the new program needs them open. */
  for (int fd = 0; fd <= 2; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  execve(file, argv, envp);
  char message[512];
  snprintf(message, sizeof message, "execve %s failed: %s", file, strerror(errno));
  napi_throw_error(env, "EXECVE", message);
  return NULL;
}

static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  int32_t code = 0;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, args[0], &code);
  _exit(code & 0xff);
  return NULL;
}

static napi_value js_malloc_arenas(napi_env env, napi_callback_info info) {
  (void)info;
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  int32_t arenas = -1;
  if (out) {
    if (malloc_info(0, out) == 0) {
      fflush(out);
      arenas = 0;
      for (const char *p = text; p && (p = strstr(p, "<heap nr=")) != NULL; p++) arenas++;
    }
    fclose(out);
    free(text);
  }
  napi_value result;
  napi_create_int32(env, arenas, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "execve", NULL, js_execve, NULL, NULL, NULL, napi_default, NULL },
    { "exitNow", NULL, js_exit_now, NULL, NULL, NULL, napi_default, NULL },
    { "mallocArenas", NULL, js_malloc_arenas, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
