#include <nan.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h> // edgevis: row strides of video samples

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

// edgevis: pull(callback, target?) — with a target (a Uint8Array of the frame's size, from the
// caller's pool of frame buffers), the sample is copied into it on the libuv thread and the target
// itself is handed to the callback: no new buffer per frame (a 1.3 MB allocation at 25+ frames/s
// per camera, page faults on the main thread, and external memory that drives V8's full
// collections). A sample of another size (or none) comes as a new Buffer as before.
class PullWorker : public Nan::AsyncWorker {
	public:
		PullWorker(Nan::Callback *callback, GstAppSink *appsink, Local<Object> target)
		: AsyncWorker(callback,"node-gst-superficial.PullWorker"), appsink(appsink), sample(NULL),
		  targetData(NULL), targetLength(0), copied(false) {
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

		~PullWorker() {}

		void Execute() {
			sample = gst_app_sink_pull_sample(appsink);
			if (sample && targetData) {
				GstBuffer *buffer = gst_sample_get_buffer(sample);
				GstMapInfo map;
				if (buffer && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
					copied = copyPacked(buffer, gst_sample_get_caps(sample), map);
					gst_buffer_unmap(buffer, &map);
				}
			}
		}

		// Copies the sample into the target with its rows packed: a single-plane video frame's rows
		// are padded to its stride (GStreamer's default for RGB: a multiple of 4 bytes, so a
		// 854-pixel-wide frame has rows of 2564 bytes, not 2562), or as its video meta says. Anything
		// else is copied as is when its size matches. False when the target's size does not fit.
		bool copyPacked(GstBuffer *buffer, GstCaps *caps, const GstMapInfo &map) {
			GstVideoInfo info;
			if (caps && gst_video_info_from_caps(&info, caps) && GST_VIDEO_INFO_N_PLANES(&info) == 1) {
				const size_t row = (size_t)GST_VIDEO_INFO_WIDTH(&info) * GST_VIDEO_INFO_COMP_PSTRIDE(&info, 0);
				const size_t rows = GST_VIDEO_INFO_HEIGHT(&info);
				size_t stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0), offset = GST_VIDEO_INFO_PLANE_OFFSET(&info, 0);
				GstVideoMeta *meta = gst_buffer_get_video_meta(buffer);
				if (meta) { stride = meta->stride[0]; offset = meta->offset[0]; }
				if (row == 0 || rows == 0 || row * rows != targetLength || stride < row || map.size < offset + stride * (rows - 1) + row) return false;
				if (stride == row) { memcpy(targetData, map.data + offset, targetLength); return true; }
				for (size_t y = 0; y < rows; y++) memcpy(targetData + y * row, map.data + offset + y * stride, row);
				return true;
			}
			if (map.size != targetLength) return false;
			memcpy(targetData, map.data, map.size);
			return true;
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

				buf = copied ? GetFromPersistent("target") : gstsample_to_v8(sample);
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
		bool copied;
};

NAN_METHOD(GObjectWrap::GstAppSinkPull) {
	GObjectWrap* obj = Nan::ObjectWrap::Unwrap<GObjectWrap>(info.This());
	Nan::Callback *callback = new Nan::Callback(info[0].As<Function>());
	Local<Object> target;
	if (info.Length() > 1 && info[1]->IsObject()) target = Nan::To<Object>(info[1]).ToLocalChecked();
	AsyncQueueWorker(new PullWorker(callback, GST_APP_SINK(obj->obj), target));
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
