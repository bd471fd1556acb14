/*
 * edgevis pixel kernels in C: the letterbox of a frame into the segmenter's input tensor and the
 * crop + resize + ImageNet normalisation of a box for OSNet. They compute the very same numbers as
 * the JavaScript kernels they replace (models/letterbox.ts, models/crop-resize.ts): the same double
 * arithmetic in the same order (no fused multiply-add, no -ffast-math; see binding.gyp), the same
 * float32 rounding of the horizontal letterbox weights, float32 outputs. test/pixels-native.test.ts
 * compares them bit for bit. Why native: on a 2-core machine the model already uses both cores, so
 * every millisecond of JavaScript pixel work per frame comes straight off the frame rate.
 *
 * Frames are packed RGB (HWC, row-major, uint8); tensors planar CHW float32.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ImageNet mean and standard deviation (RGB, on 0..1 values), as torchvision normalises. */
static const double MEAN[3] = { 0.485, 0.456, 0.406 };
static const double STD[3] = { 0.229, 0.224, 0.225 };

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

#define THROW(env, code, msg) do { napi_throw_range_error((env), (code), (msg)); return NULL; } while (0)

/* Reads argument i as a typed array of the given type; NULL (with an exception pending) otherwise. */
static void *typed_arg(napi_env env, napi_value v, napi_typedarray_type want, size_t *length, const char *what) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) { napi_throw_type_error(env, NULL, what); return NULL; }
  napi_typedarray_type type; void *data; napi_value ab; size_t offset;
  napi_get_typedarray_info(env, v, &type, length, &data, &ab, &offset);
  if (type != want) { napi_throw_type_error(env, NULL, what); return NULL; }
  return data;
}

/*
 * Reads a kernel's call: exactly `n` arguments, argv[0] the frame (Uint8Array), argv[out_at] the
 * tensor (Float32Array), every other one a number, stored in order into `nums`; those whose bit is
 * set in `ints` must be integers. False with a TypeError / RangeError pending otherwise.
 */
static bool read_call(napi_env env, napi_callback_info info, const char *name, size_t n, size_t out_at, unsigned ints,
                      const uint8_t **rgb, size_t *rgb_len, float **out, size_t *out_len, double *nums) {
  char msg[160];
  size_t argc = 12; napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != n) { snprintf(msg, sizeof msg, "edgevis-pixels %s: expected %zu arguments", name, n); napi_throw_range_error(env, NULL, msg); return false; }
  snprintf(msg, sizeof msg, "edgevis-pixels %s: rgb must be a Uint8Array", name);
  if (!(*rgb = typed_arg(env, argv[0], napi_uint8_array, rgb_len, msg))) return false;
  snprintf(msg, sizeof msg, "edgevis-pixels %s: out must be a Float32Array", name);
  if (!(*out = typed_arg(env, argv[out_at], napi_float32_array, out_len, msg))) return false;
  for (size_t i = 1, k = 0; i < n; i++) {
    if (i == out_at) continue;
    if (napi_get_value_double(env, argv[i], &nums[k]) != napi_ok) {
      snprintf(msg, sizeof msg, "edgevis-pixels %s: argument %zu must be a number", name, i);
      napi_throw_type_error(env, NULL, msg); return false;
    }
    if ((ints >> k & 1) && !(nums[k] == floor(nums[k]) && fabs(nums[k]) < 2147483648.0)) {
      snprintf(msg, sizeof msg, "edgevis-pixels %s: argument %zu must be an integer", name, i);
      napi_throw_range_error(env, NULL, msg); return false;
    }
    k++;
  }
  return true;
}

/*
 * letterbox(rgb: Uint8Array, frameWidth, frameHeight, inputWidth, inputHeight, resizedWidth,
 *           resizedHeight, padX, padY, out: Float32Array): undefined
 * Bilinear resize at pixel centres into the resized area, values / 255; padding 114 / 255.
 */
static napi_value letterbox(napi_env env, napi_callback_info info) {
  const uint8_t *rgb; float *out; size_t rgb_len, out_len; double v[8];
  if (!read_call(env, info, "letterbox", 10, 9, 0xFF, &rgb, &rgb_len, &out, &out_len, v)) return NULL;
  const int32_t fw = (int32_t)v[0], fh = (int32_t)v[1], iw = (int32_t)v[2], ih = (int32_t)v[3];
  const int32_t rw = (int32_t)v[4], rh = (int32_t)v[5], px = (int32_t)v[6], py = (int32_t)v[7];
  if (fw <= 0 || fh <= 0 || iw <= 0 || ih <= 0 || rw <= 0 || rh <= 0 || px < 0 || py < 0 || px + rw > iw || py + rh > ih)
    THROW(env, NULL, "edgevis-pixels letterbox: sizes out of range");
  if (rgb_len != (size_t)fw * fh * 3) THROW(env, NULL, "edgevis-pixels letterbox: rgb length is not frameWidth*frameHeight*3");
  const size_t plane = (size_t)iw * ih;
  if (out_len != 3 * plane) THROW(env, NULL, "edgevis-pixels letterbox: out length is not 3*inputWidth*inputHeight");

  const float pad = (float)(114.0 / 255.0);
  const int right = px + rw, bottom = py + rh;
  for (int c = 0; c < 3; c++) {
    float *p = out + c * plane;
    for (size_t i = 0; i < (size_t)py * iw; i++) p[i] = pad;
    for (size_t i = (size_t)bottom * iw; i < plane; i++) p[i] = pad;
    if (px > 0 || right < iw) {
      for (int y = py; y < bottom; y++) {
        for (int x = 0; x < px; x++) p[(size_t)y * iw + x] = pad;
        for (int x = right; x < iw; x++) p[(size_t)y * iw + x] = pad;
      }
    }
  }
  const double sx = (double)fw / rw, sy = (double)fh / rh, inv = 1.0 / 255.0;
  int32_t *x0s = malloc(sizeof(int32_t) * rw), *x1s = malloc(sizeof(int32_t) * rw);
  float *wxs = malloc(sizeof(float) * rw);
  if (!x0s || !x1s || !wxs) { free(x0s); free(x1s); free(wxs); THROW(env, NULL, "edgevis-pixels letterbox: out of memory"); }
  for (int x = 0; x < rw; x++) {
    const double src = clampd((x + 0.5) * sx - 0.5, 0, fw - 1);
    const double x0 = floor(src);
    x0s[x] = (int32_t)x0 * 3;
    x1s[x] = ((int32_t)x0 + 1 < fw - 1 ? (int32_t)x0 + 1 : fw - 1) * 3;
    wxs[x] = (float)(src - x0); /* float32, as the JavaScript kernel's Float32Array of weights */
  }
  float *o0 = out, *o1 = out + plane, *o2 = out + 2 * plane;
  for (int y = 0; y < rh; y++) {
    const double srcY = clampd((y + 0.5) * sy - 0.5, 0, fh - 1);
    const double fy0 = floor(srcY);
    const int y0 = (int)fy0;
    const double wy = srcY - fy0;
    const uint8_t *row0 = rgb + (size_t)y0 * fw * 3;
    const uint8_t *row1 = rgb + (size_t)(y0 + 1 < fh - 1 ? y0 + 1 : fh - 1) * fw * 3;
    const size_t dst_row = (size_t)(y + py) * iw + px;
    for (int x = 0; x < rw; x++) {
      const uint8_t *a = row0 + x0s[x], *b = row0 + x1s[x], *c = row1 + x0s[x], *d = row1 + x1s[x];
      const double wx = wxs[x];
      const size_t dst = dst_row + x;
      double top = a[0] + (double)(b[0] - a[0]) * wx, bot = c[0] + (double)(d[0] - c[0]) * wx;
      o0[dst] = (float)((top + (bot - top) * wy) * inv);
      top = a[1] + (double)(b[1] - a[1]) * wx; bot = c[1] + (double)(d[1] - c[1]) * wx;
      o1[dst] = (float)((top + (bot - top) * wy) * inv);
      top = a[2] + (double)(b[2] - a[2]) * wx; bot = c[2] + (double)(d[2] - c[2]) * wx;
      o2[dst] = (float)((top + (bot - top) * wy) * inv);
    }
  }
  free(x0s); free(x1s); free(wxs);
  return NULL;
}

/*
 * cropResizeNormalise(rgb: Uint8Array, width, height, x1, y1, x2, y2, outWidth, outHeight,
 *                     out: Float32Array, offset): undefined
 * Box in frame pixels (clamped to the frame), bilinear at pixel centres, ((v / 255) - mean) / std,
 * planar CHW at `offset` floats into `out`. Separable: each source row the crop samples is
 * interpolated horizontally once (in doubles), output rows blend two of them.
 */
static napi_value crop_resize_normalise(napi_env env, napi_callback_info info) {
  const uint8_t *rgb; float *out; size_t rgb_len, out_len; double v[9];
  /* numbers: width, height, x1, y1, x2, y2, outWidth, outHeight, offset (all but the box integers) */
  if (!read_call(env, info, "cropResizeNormalise", 11, 9, 0x1C3, &rgb, &rgb_len, &out, &out_len, v)) return NULL;
  const int32_t width = (int32_t)v[0], height = (int32_t)v[1], ow = (int32_t)v[6], oh = (int32_t)v[7], offset = (int32_t)v[8];
  const double bx1 = v[2], by1 = v[3], bx2 = v[4], by2 = v[5];
  if (width <= 0 || height <= 0 || ow <= 0 || oh <= 0 || offset < 0) THROW(env, NULL, "edgevis-pixels cropResizeNormalise: sizes out of range");
  if (rgb_len != (size_t)width * height * 3) THROW(env, NULL, "edgevis-pixels cropResizeNormalise: rgb length is not width*height*3");
  const size_t plane = (size_t)ow * oh;
  if ((size_t)offset + 3 * plane > out_len) THROW(env, NULL, "edgevis-pixels cropResizeNormalise: the crop does not fit in out at offset");
  if (isnan(bx1) || isnan(by1) || isnan(bx2) || isnan(by2)) THROW(env, NULL, "edgevis-pixels cropResizeNormalise: box has NaN");

  const double x1 = clampd(bx1, 0, width - 1), y1 = clampd(by1, 0, height - 1);
  const double x2 = fmin(fmax(bx2, x1 + 1), width), y2 = fmin(fmax(by2, y1 + 1), height);
  const double sx = (x2 - x1) / ow, sy = (y2 - y1) / oh;
  double s[3], m[3];
  for (int c = 0; c < 3; c++) { s[c] = 1 / (255 * STD[c]); m[c] = MEAN[c] / STD[c]; }

  int32_t *left = malloc(sizeof(int32_t) * ow), *right = malloc(sizeof(int32_t) * ow), *row_of = malloc(sizeof(int32_t) * height);
  double *weight = malloc(sizeof(double) * ow);
  /* At most two source rows per output row, and never more than the frame's rows. */
  const size_t slots_max = (size_t)(2 * oh < height ? 2 * oh : height);
  double *rows = malloc(sizeof(double) * slots_max * 3 * ow);
  if (!left || !right || !row_of || !weight || !rows) {
    free(left); free(right); free(row_of); free(weight); free(rows);
    THROW(env, NULL, "edgevis-pixels cropResizeNormalise: out of memory");
  }
  for (int ox = 0; ox < ow; ox++) {
    const double fx = clampd(x1 + (ox + 0.5) * sx - 0.5, 0, width - 1);
    const double x0 = floor(fx);
    left[ox] = 3 * (int32_t)x0;
    right[ox] = 3 * ((int32_t)x0 + 1 < width - 1 ? (int32_t)x0 + 1 : width - 1);
    weight[ox] = fx - x0;
  }
  for (int y = 0; y < height; y++) row_of[y] = -1;
  int32_t slots = 0;
  float *o0 = out + offset, *o1 = o0 + plane, *o2 = o1 + plane;
  for (int oy = 0; oy < oh; oy++) {
    const double fy = clampd(y1 + (oy + 0.5) * sy - 0.5, 0, height - 1);
    const double fy0 = floor(fy);
    const int y0 = (int)fy0, yb = y0 + 1 < height - 1 ? y0 + 1 : height - 1;
    const double wy = fy - fy0;
    const int want[2] = { y0, yb };
    for (int k = 0; k < 2; k++) {
      const int sy_ = want[k];
      if (row_of[sy_] >= 0) continue;
      double *dst = rows + (size_t)slots * 3 * ow;
      const uint8_t *src = rgb + (size_t)sy_ * width * 3;
      for (int ox = 0; ox < ow; ox++) {
        const uint8_t *l = src + left[ox], *r = src + right[ox];
        const double wx = weight[ox];
        dst[3 * ox] = l[0] + (double)(r[0] - l[0]) * wx;
        dst[3 * ox + 1] = l[1] + (double)(r[1] - l[1]) * wx;
        dst[3 * ox + 2] = l[2] + (double)(r[2] - l[2]) * wx;
      }
      row_of[sy_] = slots++;
    }
    const double *top = rows + (size_t)row_of[y0] * 3 * ow, *bot = rows + (size_t)row_of[yb] * 3 * ow;
    const size_t row = (size_t)oy * ow;
    for (int ox = 0; ox < ow; ox++) {
      const double *t = top + 3 * ox, *b = bot + 3 * ox;
      o0[row + ox] = (float)((t[0] + (b[0] - t[0]) * wy) * s[0] - m[0]);
      o1[row + ox] = (float)((t[1] + (b[1] - t[1]) * wy) * s[1] - m[1]);
      o2[row + ox] = (float)((t[2] + (b[2] - t[2]) * wy) * s[2] - m[2]);
    }
  }
  free(left); free(right); free(row_of); free(weight); free(rows);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    { "letterbox", NULL, letterbox, NULL, NULL, NULL, napi_enumerable, NULL },
    { "cropResizeNormalise", NULL, crop_resize_normalise, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
