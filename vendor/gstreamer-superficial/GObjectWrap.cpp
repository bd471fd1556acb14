#include <nan.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h> // edgevis: converting samples to packed RGB in pull

#include "GObjectWrap.h"

Nan::Persistent<Function> GObjectWrap::constructor;
Nan::Persistent<FunctionTemplate> GObjectWrap::pullTemplate;
Nan::Persistent<FunctionTemplate> GObjectWrap::pushTemplate;

void GObjectWrap::Init() {
	Nan::HandleScope scope;

	// Constructor
	Local<FunctionTemplate> ctor = Nan::New<FunctionTemplate>(GObjectWrap::New);
	ctor->InstanceTemplate()->SetInternalFieldCount(1);
	ctor->SetClassName(Nan::New<String>("GObjectWrap").ToLocalChecked());
	// Prototype
	//Local<ObjectPrototype> proto = ctor->PrototypeTemplate();
	constructor.Reset(Nan::GetFunction(ctor).ToLocalChecked());
	pullTemplate.Reset(Nan::New<FunctionTemplate>(GstAppSinkPull));
	pushTemplate.Reset(Nan::New<FunctionTemplate>(GstAppSrcPush));
}

NAN_METHOD(GObjectWrap::New) {
	GObjectWrap* obj = new GObjectWrap();
	obj->Wrap(info.This());

	info.GetReturnValue().Set(info.This());
}

Local<Value> GObjectWrap::NewInstance( const Nan::FunctionCallbackInfo<Value>& info, GObject *obj ) {
	Nan::EscapableHandleScope scope;
	const unsigned argc = 1;
	Isolate* isolate = info.GetIsolate();

	Local<Context> context = isolate->GetCurrentContext();
	Local<Function> constructorLocal = Nan::New(constructor);
	constructorLocal->SetName(String::NewFromUtf8(isolate, G_OBJECT_TYPE_NAME(obj), v8::NewStringType::kNormal).ToLocalChecked());
	Local<Value> argv[argc] = { info[0] };
	Local<Object> instance = constructorLocal->NewInstance(context, argc, argv).ToLocalChecked();

	GObjectWrap* wrap = Nan::ObjectWrap::Unwrap<GObjectWrap>(instance);
	wrap->obj = obj;
	guint n_properties;
	GParamSpec **properties = g_object_class_list_properties(G_OBJECT_GET_CLASS(obj), &n_properties);
	// edgevis: accessors and methods are set with V8's own API and templates made once: Nan::SetAccessor
	// and Nan::SetMethod on an object make a new template per call, which V8 keeps in its template
	// caches for good (~45 per appsink, i.e. per camera reconnect). The property list is freed.
	for(guint i = 0; i < n_properties; i++) {
		GParamSpec *property = properties[i];
		Local<String> name = String::NewFromUtf8(isolate, property->name, v8::NewStringType::kNormal).ToLocalChecked();
		instance->SetAccessor(context, name, GObjectWrap::GetProperty, GObjectWrap::SetProperty).Check();
	}
	g_free(properties);

	if(GST_IS_APP_SINK(obj)) {
		Nan::Set(instance, Nan::New("pull").ToLocalChecked(), Nan::GetFunction(Nan::New(pullTemplate)).ToLocalChecked());
	}
	if (GST_IS_APP_SRC(obj)) {
		Nan::Set(instance, Nan::New("push").ToLocalChecked(), Nan::GetFunction(Nan::New(pushTemplate)).ToLocalChecked());
	}

	info.GetReturnValue().Set(instance);
	return scope.Escape(instance);
}

void GObjectWrap::GetProperty(Local<Name> property, const PropertyCallbackInfo<Value>& info) {
	GObjectWrap* obj = Nan::ObjectWrap::Unwrap<GObjectWrap>(info.This());
	Nan::Utf8String name(property);

	GObject *o = obj->obj;
	GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(o), *name);

	if(!spec) {
		info.GetReturnValue().Set(Nan::Undefined());
	} else {
		GValue gv;
		memset(&gv, 0, sizeof(gv));
		g_value_init(&gv, G_PARAM_SPEC_VALUE_TYPE(spec));
		g_object_get_property(o, *name, &gv);

		info.GetReturnValue().Set(gvalue_to_v8(&gv));
		g_value_unset(&gv); // edgevis: a string or boxed value was copied into it
	}
}

void GObjectWrap::SetProperty(Local<Name> property, Local<Value> value, const PropertyCallbackInfo<void>& info) {
	GObjectWrap* obj = Nan::ObjectWrap::Unwrap<GObjectWrap>(info.This());
	Nan::Utf8String name(property);

	GObject *o = obj->obj;
	GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(o), *name);
	if(spec) {
		GValue gv;
		memset( &gv, 0, sizeof( gv ) );
		v8_to_gvalue( value, &gv, spec);
		g_object_set_property( o, *name, &gv );
		g_value_unset(&gv); // edgevis: the object keeps its own copy
	}
}

// edgevis: pull(callback, target?, format?) — with format 'RGB', the sample (any raw video format
// the decoder gives, e.g. I420) is converted to packed RGB (rows of width × 3 bytes, no padding) on
// the libuv thread by GStreamer's own converter, the one videoconvert uses (same values), so a live
// camera's frames that its leaky appsink drops are never converted, and the conversion writes
// straight into the frame's buffer (no copy after it). With a target (a Uint8Array of the frame's
// size from the caller's pool of frame buffers) the frame goes there and the target itself is
// handed to the callback: no new buffer per frame (a 1.3 MB allocation at 25+ frames/s per
// camera, page faults on the main thread, external memory that drives V8's full collections).
// Without a target, or for a frame of another size, a new Uint8Array over memory of its own.
// Without format, the sample's bytes as they are, in a new Buffer (upstream's behaviour; the
// target is not used).

/**
 * What the binding keeps on one appsink (as object data, freed with the sink): the converter, kept
 * across pulls while the formats stay the same, and the pull waiting for a sample, if any.
 */
struct PullWaiter;
struct SinkState {
	GMutex lock;
	GstVideoConverter *converter;
	GstVideoInfo in, out;
	gboolean callbacksInstalled;
	PullWaiter *waiter; // under lock: the pull to wake when a sample or the end arrives
	gint samplesSeen; // atomic: samples the appsink received, the ones it dropped (leaky) included
};

static void sinkStateFree(gpointer data) {
	SinkState *state = static_cast<SinkState *>(data);
	if (state->converter) gst_video_converter_free(state->converter);
	g_mutex_clear(&state->lock);
	g_free(state);
}

static SinkState *sinkStateOf(GstAppSink *appsink) {
	static GMutex attach;
	g_mutex_lock(&attach);
	SinkState *state = static_cast<SinkState *>(g_object_get_data(G_OBJECT(appsink), "edgevis-sink-state"));
	if (!state) {
		state = g_new0(SinkState, 1);
		g_mutex_init(&state->lock);
		g_object_set_data_full(G_OBJECT(appsink), "edgevis-sink-state", state, sinkStateFree);
	}
	g_mutex_unlock(&attach);
	return state;
}

class PullWorker : public Nan::AsyncWorker {
	public:
		PullWorker(Nan::Callback *callback, GstAppSink *appsink, Local<Object> target, bool toRgb)
		: AsyncWorker(callback,"node-gst-superficial.PullWorker"), appsink(appsink), sample(NULL),
		  targetData(NULL), targetLength(0), toRgb(toRgb), copied(false), owned(NULL), ownedLength(0) {
			g_object_ref(appsink); // the sink outlives this pull even if its wrapper is collected meanwhile
			if (!target.IsEmpty() && target->IsArrayBufferView()) {
				Local<v8::ArrayBufferView> view = target.As<v8::ArrayBufferView>();
				SaveToPersistent("target", target); // handed back to the callback
				// The backing store itself is held: its memory stays valid for the copy even if the
				// ArrayBuffer were detached or collected meanwhile (a detached one has length 0: no copy).
				backing = view->Buffer()->GetBackingStore();
				if (backing->Data()) {
					targetData = static_cast<char *>(backing->Data()) + view->ByteOffset();
					targetLength = view->ByteLength();
				}
			}
		};

		~PullWorker() { if (sample) gst_sample_unref(sample); g_object_unref(appsink); g_free(owned); }

		/**
		 * Takes the sample the pull hands over, without waiting: true with a sample, or with none when
		 * none will come (end of stream, the sink stopped); false while the sink may still deliver one.
		 */
		bool take() {
			sample = gst_app_sink_try_pull_sample(appsink, 0);
			if (sample) return true;
			if (gst_app_sink_is_eos(appsink)) return true;
			GST_OBJECT_LOCK(appsink);
			const bool stopped = GST_STATE(appsink) == GST_STATE_NULL;
			GST_OBJECT_UNLOCK(appsink);
			return stopped;
		}

		GstAppSink *sink() const { return appsink; }

		// On a libuv thread, with the sample already taken: only the conversion, never a wait for the
		// source (a pull that waited there held a thread of libuv's small pool for as long as the
		// camera took, so cameras that were connecting or dead starved the others' pulls).
		void Execute() {
			if (!sample) return;
			GstBuffer *buffer = gst_sample_get_buffer(sample);
			if (!buffer) return;
			if (toRgb) convertToRgb(buffer, gst_sample_get_caps(sample));
		}

		// Converts a raw video sample to packed RGB, into the target when it has the frame's size,
		// else into memory of its own (handed to JavaScript as a Uint8Array over its own ArrayBuffer).
		void convertToRgb(GstBuffer *buffer, GstCaps *caps) {
			GstVideoInfo in, out;
			if (!caps || !gst_video_info_from_caps(&in, caps)) return;
			const gint width = GST_VIDEO_INFO_WIDTH(&in), height = GST_VIDEO_INFO_HEIGHT(&in);
			if (width <= 0 || height <= 0 || !gst_video_info_set_format(&out, GST_VIDEO_FORMAT_RGB, width, height)) return;
			const size_t row = (size_t)width * 3, size = row * height;
			out.stride[0] = (gint)row; // packed rows (GStreamer's default pads RGB rows to 4 bytes)
			out.size = size;
			// What the converter requires to match (it converts colours, not time or fields).
			out.fps_n = in.fps_n; out.fps_d = in.fps_d; out.par_n = in.par_n; out.par_d = in.par_d;
			out.interlace_mode = in.interlace_mode;
			char *dest = targetData;
			if (!dest || targetLength != size) dest = owned = static_cast<char *>(g_malloc(size));
			GstBuffer *outBuffer = gst_buffer_new_wrapped_full((GstMemoryFlags)0, dest, size, 0, size, NULL, NULL);
			GstVideoFrame inFrame, outFrame;
			bool done = false;
			if (gst_video_frame_map(&inFrame, &in, buffer, GST_MAP_READ)) {
				if (gst_video_frame_map(&outFrame, &out, outBuffer, GST_MAP_WRITE)) {
					SinkState *cache = sinkStateOf(appsink);
					g_mutex_lock(&cache->lock);
					if (!cache->converter || !gst_video_info_is_equal(&cache->in, &in) || !gst_video_info_is_equal(&cache->out, &out)) {
						if (cache->converter) gst_video_converter_free(cache->converter);
						cache->converter = gst_video_converter_new(&in, &out, NULL);
						cache->in = in; cache->out = out;
					}
					if (cache->converter) { gst_video_converter_frame(cache->converter, &inFrame, &outFrame); done = true; }
					g_mutex_unlock(&cache->lock);
					gst_video_frame_unmap(&outFrame);
				}
				gst_video_frame_unmap(&inFrame);
			}
			gst_buffer_unref(outBuffer);
			if (!done) { g_free(owned); owned = NULL; return; }
			if (owned) ownedLength = size; else copied = true;
		}

		void HandleOKCallback() {
			Nan::HandleScope scope;

			Local<Value> buf;
			Local<Object> caps = Nan::New<Object>();
			if (sample) {

				GstCaps *gcaps = gst_sample_get_caps(sample);
				if (gcaps) {
					const GstStructure *structure = gst_caps_get_structure(gcaps,0);
					if (structure) gst_structure_to_v8(caps, structure);
				}
				// edgevis: the frame's own timestamp (stream time, ms), so a live source times each frame
				// by when it was captured, not by where the pipeline's clock is when the frame is pulled.
				GstBuffer *sampleBuffer = gst_sample_get_buffer(sample);
				const GstSegment *segment = gst_sample_get_segment(sample);
				if (sampleBuffer && GST_BUFFER_PTS_IS_VALID(sampleBuffer)) {
					guint64 t = GST_BUFFER_PTS(sampleBuffer);
					if (segment && segment->format == GST_FORMAT_TIME) {
						guint64 st = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, t);
						if (GST_CLOCK_TIME_IS_VALID(st)) t = st;
					}
					Nan::Set(caps, Nan::New("ptsMs").ToLocalChecked(), Nan::New<Number>((double)t / 1e6));
				}
				// edgevis: how many samples reached the appsink so far, dropped ones included (a live
				// source's real frame rate when its caps declare none).
				SinkState *state = static_cast<SinkState *>(g_object_get_data(G_OBJECT(appsink), "edgevis-sink-state"));
				if (state) Nan::Set(caps, Nan::New("samplesSeen").ToLocalChecked(), Nan::New<Number>(g_atomic_int_get(&state->samplesSeen)));

				if (copied) buf = GetFromPersistent("target");
				else if (owned) {
					// A plain ArrayBuffer over the converted frame (a Node Buffer over external memory
					// could not be detached, and the frame pool detaches what it takes back).
					std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(owned, ownedLength,
						[](void *data, size_t, void *) { g_free(data); }, NULL);
					owned = NULL;
					Local<v8::ArrayBuffer> ab = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
					buf = v8::Uint8Array::New(ab, 0, ab->ByteLength());
				}
				else buf = gstsample_to_v8(sample);
				gst_sample_unref(sample);
				sample = NULL;
			} else {
				buf =  Nan::Null();
			}

			Local<Value> argv[] = { buf, caps };
			callback->Call(2, argv, async_resource);
		}

	private:
		GstAppSink *appsink;
		GstSample *sample;
		std::shared_ptr<v8::BackingStore> backing;
		char *targetData;
		size_t targetLength;
		bool toRgb;
		bool copied;
		char *owned; // converted frame without a fitting target (g_malloc'd; its ArrayBuffer frees it)
		size_t ownedLength;
};

/**
 * edgevis: a pull waiting for its sample without holding a thread. GStreamer's streaming thread
 * (the appsink's new-sample and eos callbacks) and Pipeline::stop wake it through a uv_async
 * handle; on the main thread it tries again without waiting, and once it has the sample (or the
 * end) it hands the pull to a libuv thread for the conversion only.
 */
struct PullWaiter {
	uv_async_t async;
	PullWorker *worker;
	SinkState *state;
};

static void pullWaiterClosed(uv_handle_t *handle) {
	delete static_cast<PullWaiter *>(handle->data);
}

static void pullWaiterWoken(uv_async_t *handle) {
	PullWaiter *waiter = static_cast<PullWaiter *>(handle->data);
	if (!waiter->worker->take()) return; // woken for nothing new: keep waiting
	g_mutex_lock(&waiter->state->lock);
	waiter->state->waiter = NULL;
	g_mutex_unlock(&waiter->state->lock);
	PullWorker *worker = waiter->worker;
	uv_close(reinterpret_cast<uv_handle_t *>(&waiter->async), pullWaiterClosed);
	Nan::AsyncQueueWorker(worker);
}

/** Wakes the pull waiting on an appsink, if any (any thread). */
void wakeAppSinkPull(GstAppSink *appsink) {
	SinkState *state = static_cast<SinkState *>(g_object_get_data(G_OBJECT(appsink), "edgevis-sink-state"));
	if (!state) return;
	g_mutex_lock(&state->lock);
	if (state->waiter) uv_async_send(&state->waiter->async);
	g_mutex_unlock(&state->lock);
}

static GstFlowReturn onAppSinkSample(GstAppSink *appsink, gpointer) {
	SinkState *state = static_cast<SinkState *>(g_object_get_data(G_OBJECT(appsink), "edgevis-sink-state"));
	if (state) g_atomic_int_inc(&state->samplesSeen);
	wakeAppSinkPull(appsink);
	return GST_FLOW_OK;
}

static void onAppSinkEos(GstAppSink *appsink, gpointer) {
	wakeAppSinkPull(appsink);
}

NAN_METHOD(GObjectWrap::GstAppSinkPull) {
	GObjectWrap* obj = Nan::ObjectWrap::Unwrap<GObjectWrap>(info.This());
	bool toRgb = false;
	if (info.Length() == 0 || !info[0]->IsFunction()) return Nan::ThrowTypeError("pull: the first argument must be a callback");
	if (info.Length() > 2 && info[2]->IsString()) {
		Nan::Utf8String format(info[2]);
		if (strcmp(*format, "RGB") != 0) return Nan::ThrowRangeError("pull: the only format to convert to is 'RGB'");
		toRgb = true;
	}
	Local<Object> target; // only a conversion writes into it
	if (toRgb && info.Length() > 1 && info[1]->IsObject()) target = Nan::To<Object>(info[1]).ToLocalChecked();
	GstAppSink *appsink = GST_APP_SINK(obj->obj);
	SinkState *state = sinkStateOf(appsink);
	g_mutex_lock(&state->lock);
	const bool busy = state->waiter != NULL;
	if (!busy && !state->callbacksInstalled) {
		GstAppSinkCallbacks callbacks;
		memset(&callbacks, 0, sizeof(callbacks));
		callbacks.new_sample = onAppSinkSample;
		callbacks.eos = onAppSinkEos;
		gst_app_sink_set_callbacks(appsink, &callbacks, NULL, NULL);
		state->callbacksInstalled = TRUE;
	}
	g_mutex_unlock(&state->lock);
	if (busy) return Nan::ThrowError("pull: a pull on this appsink is still waiting for its sample");
	PullWorker *worker = new PullWorker(new Nan::Callback(info[0].As<Function>()), appsink, target, toRgb);
	if (worker->take()) { Nan::AsyncQueueWorker(worker); return; }
	PullWaiter *waiter = new PullWaiter();
	waiter->worker = worker;
	waiter->state = state;
	waiter->async.data = waiter;
	uv_async_init(Nan::GetCurrentEventLoop(), &waiter->async, pullWaiterWoken);
	g_mutex_lock(&state->lock);
	state->waiter = waiter;
	g_mutex_unlock(&state->lock);
	// A sample or the end may have come between take() and the registration: look once more.
	uv_async_send(&waiter->async);
}

NAN_METHOD(GObjectWrap::GstAppSrcPush) {
    auto *obj = Nan::ObjectWrap::Unwrap<GObjectWrap>(info.This());

    if (info.Length() > 0) {
        if (info[0]->IsObject()) {
        	Local<Object> o = Nan::To<Object>(info[0]).ToLocalChecked();
            char *buffer = node::Buffer::Data(o);
            size_t buffer_length = node::Buffer::Length(o);

            GstBuffer *gst_buffer = gst_buffer_new_allocate(nullptr, buffer_length, nullptr);
            gst_buffer_fill(gst_buffer, 0, buffer, buffer_length);

            if (info.Length() > 1) {
              char *bufferPTS = node::Buffer::Data(Nan::To<Object>(info[1]).ToLocalChecked());
              gst_buffer->pts = GST_READ_UINT64_BE(bufferPTS);
            }

            gst_app_src_push_buffer(GST_APP_SRC(obj->obj), gst_buffer);
           // gst_buffer_unref(gst_buffer);
        }
        // TODO throw an error if arg is not a buffer object?
    }
    // TODO throw an error if no args are given?
}
