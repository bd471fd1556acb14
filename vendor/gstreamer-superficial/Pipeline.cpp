#include <nan.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/app/gstappsink.h>

#include "GLibHelpers.h"
#include "GObjectWrap.h"
#include "Pipeline.h"

Nan::Persistent<Function> Pipeline::constructor;

#define NANOS_TO_DOUBLE(nanos)(((double)nanos)/1000000000)
//FIXME: guint64 overflow
#define DOUBLE_TO_NANOS(secs)((guint64)(secs*1000000000))

Pipeline::Pipeline(const char *launch) {
	GError *err = NULL;

	pipeline = (GstPipeline*)GST_BIN(gst_parse_launch(launch, &err));
	if(pipeline) gst_object_ref_sink(pipeline); // edgevis: own the (floating) reference the destructor drops
	if(err) {
		fprintf(stderr,"GstError: %s\n", err->message);
		Nan::ThrowError(err->message);
	}
}

Pipeline::Pipeline(GstPipeline* pipeline) {
	this->pipeline = pipeline;
}

void Pipeline::Init(Nan::ADDON_REGISTER_FUNCTION_ARGS_TYPE exports) {
	Nan::HandleScope scope;
	
	Local<FunctionTemplate> ctor = Nan::New<FunctionTemplate>(Pipeline::New);
	ctor->InstanceTemplate()->SetInternalFieldCount(1);
	ctor->SetClassName(Nan::New("Pipeline").ToLocalChecked());
	
	Local<ObjectTemplate> proto = ctor->PrototypeTemplate();
	// Prototype
	Nan::SetPrototypeMethod(ctor, "play", Play);
	Nan::SetPrototypeMethod(ctor, "pause", Pause);
	Nan::SetPrototypeMethod(ctor, "stop", Stop);
	Nan::SetPrototypeMethod(ctor, "seek", Seek);
	Nan::SetPrototypeMethod(ctor, "queryPosition", QueryPosition);
	Nan::SetPrototypeMethod(ctor, "queryDuration", QueryDuration);
	Nan::SetPrototypeMethod(ctor, "sendEOS", SendEOS);
	Nan::SetPrototypeMethod(ctor, "forceKeyUnit", ForceKeyUnit);
	Nan::SetPrototypeMethod(ctor, "findChild", FindChild);
	Nan::SetPrototypeMethod(ctor, "setPad", SetPad);
	Nan::SetPrototypeMethod(ctor, "pollBus", PollBus);
			
	Nan::SetAccessor(proto, Nan::New("auto-flush-bus").ToLocalChecked(), GetAutoFlushBus, SetAutoFlushBus);
	Nan::SetAccessor(proto, Nan::New("delay").ToLocalChecked(), GetDelay, SetDelay);
	Nan::SetAccessor(proto, Nan::New("latency").ToLocalChecked(), GetLatency, SetLatency);
	
	constructor.Reset(Nan::GetFunction(ctor).ToLocalChecked());
	Nan::Set(exports, Nan::New("Pipeline").ToLocalChecked(), Nan::GetFunction(ctor).ToLocalChecked());
}

NAN_METHOD(Pipeline::New) {
	if (!info.IsConstructCall())
		return Nan::ThrowTypeError("Class constructors cannot be invoked without 'new'");

	Nan::Utf8String launch(info[0]);

	Pipeline* obj = new Pipeline(*launch);
	obj->Wrap(info.This());
	info.GetReturnValue().Set(info.This());
}

void Pipeline::play() {
	started = true;
	gst_element_set_state(GST_ELEMENT(pipeline), GST_STATE_PLAYING);
}

NAN_METHOD(Pipeline::Play) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	obj->play();
}

void Pipeline::stop() {
	gst_element_set_state(GST_ELEMENT(pipeline), GST_STATE_NULL);
	wakeAppSinks(); // edgevis: a pull waiting for a sample ends (with null) now
}

NAN_METHOD(Pipeline::Stop) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	obj->stop();
}

void Pipeline::sendEOS() {
	gst_element_send_event(GST_ELEMENT(pipeline), gst_event_new_eos());
}

NAN_METHOD(Pipeline::SendEOS) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	obj->sendEOS();
}

void Pipeline::pause() {
	started = true;
	gst_element_set_state(GST_ELEMENT(pipeline), GST_STATE_PAUSED);
}

NAN_METHOD(Pipeline::Pause) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	obj->pause();
}

gboolean Pipeline::seek(gint64 time_nanoseconds, GstSeekFlags flags) {
  return gst_element_seek (GST_ELEMENT(pipeline), 1.0, GST_FORMAT_TIME, flags,
                         GST_SEEK_TYPE_SET, time_nanoseconds,
                         GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE);
}

NAN_METHOD(Pipeline::Seek) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	gint64 t(Nan::To<Int32>(info[0]).ToLocalChecked()->Value());
	t *= GST_SECOND;
	GstSeekFlags flags((GstSeekFlags)Nan::To<Int32>(info[1]).ToLocalChecked()->Value());

	info.GetReturnValue().Set(Nan::New<Boolean>(obj->seek(t,flags)));
}

gint64 Pipeline::queryPosition() {
  gint64 pos;
  gst_element_query_position (GST_ELEMENT(pipeline), GST_FORMAT_TIME, &pos);
  return pos;
}

NAN_METHOD(Pipeline::QueryPosition) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	gint64 t = obj->queryPosition();
	double r = t==-1 ? -1 : (double)t/GST_SECOND;

	info.GetReturnValue().Set(Nan::New<Number>(r));
}

gint64 Pipeline::queryDuration() {
  gint64 dur;
  gst_element_query_duration (GST_ELEMENT(pipeline), GST_FORMAT_TIME, &dur);
  return dur;
}

NAN_METHOD(Pipeline::QueryDuration) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	gint64 t = obj->queryDuration();
	double r = t==-1 ? -1 : (double)t/GST_SECOND;

	info.GetReturnValue().Set(Nan::New<Number>(r));
}

void Pipeline::forceKeyUnit(GObject *sink, int cnt) {
	GstPad *sinkpad = gst_element_get_static_pad(GST_ELEMENT(sink), "sink");
	gst_pad_push_event(sinkpad,(GstEvent*) gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, cnt));
}

NAN_METHOD(Pipeline::ForceKeyUnit) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	Nan::Utf8String name(info[0]);
	GObject *o = obj->findChild(*name);
	int cnt(Nan::To<Int32>(info[1]).ToLocalChecked()->Value());
	if(!o) { info.GetReturnValue().Set(Nan::False()); return; }
	obj->forceKeyUnit(o, cnt);
	g_object_unref(o); // edgevis: findChild returns a new reference
	info.GetReturnValue().Set(Nan::True());
}

GObject * Pipeline::findChild(const char *name) {
	GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
	return G_OBJECT(e);
}

NAN_METHOD(Pipeline::FindChild) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	Nan::Utf8String name(info[0]);
	GObject *o = obj->findChild(*name);
	if(o)
		info.GetReturnValue().Set(GObjectWrap::NewInstance(info, o));
	else
		info.GetReturnValue().Set(Nan::Undefined());
}

void Pipeline::setPad(GObject *elem, const char *attribute, const char *padName) {
	GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(elem), padName);
	if (!pad) {
		return;
	}
	g_object_set(elem, attribute, pad, NULL);
}


NAN_METHOD(Pipeline::SetPad) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	Nan::Utf8String name(info[0]);
	GObject *o = obj->findChild(*name);
	if(!o) {
		return;
	}

	Nan::Utf8String attribute(info[1]);
	Nan::Utf8String padName(info[2]);
	obj->setPad(o, *attribute, *padName);
	g_object_unref(o); // edgevis: findChild returns a new reference
}

// edgevis: the bus is watched without holding a thread. Upstream popped it with
// gst_bus_timed_pop(GST_CLOCK_TIME_NONE) on a libuv thread, so every running pipeline held one of
// libuv's few threads (4 by default) for its whole life, and with more pipelines than threads the
// other cameras' pulls waited behind them (a reconnect storm of dead cameras starved the live ones).
// Now a sync handler, called on whatever thread posts a message, moves the message into a queue of
// ours and wakes the main thread through a uv_async handle, which takes what is there. The message
// is queued before the wake-up: a handler that only woke the main thread and left the message to
// the bus raced with the bus's own queueing (the bus queues after its sync handler returns), and a
// wake-up that came first found nothing, so the last message (end of stream) could be missed for good.

/** Shared with the bus's sync handler (any thread); freed when the bus drops the handler. */
struct BusWake {
	GMutex lock;
	uv_async_t *async; // under lock: null once polling ended
	GAsyncQueue *messages; // owned references, in posting order
};

static void busWakeFree(gpointer data) {
	BusWake *wake = static_cast<BusWake *>(data);
	GstMessage *msg;
	while ((msg = static_cast<GstMessage *>(g_async_queue_try_pop(wake->messages))) != NULL) gst_message_unref(msg);
	g_async_queue_unref(wake->messages);
	g_mutex_clear(&wake->lock);
	g_free(wake);
}

static GstBusSyncReply busPosted(GstBus *, GstMessage *msg, gpointer data) {
	BusWake *wake = static_cast<BusWake *>(data);
	g_mutex_lock(&wake->lock);
	if (wake->async) {
		g_async_queue_push(wake->messages, msg); // the bus's reference moves to our queue
		uv_async_send(wake->async);
	} else {
		gst_message_unref(msg); // polling ended: nobody reads it
	}
	g_mutex_unlock(&wake->lock);
	// A sync handler that answers DROP owns the message (GstBusSyncHandler's contract).
	return GST_BUS_DROP;
}

class BusPoller : public Nan::AsyncResource {
	public:
		BusPoller(Pipeline *obj_, Local<Function> cb, BusWake *wake_)
			: AsyncResource("node-gst-superficial.BusPoller"), obj(obj_), wake(wake_) {
			callback.Reset(cb);
			async.data = this;
		}
		~BusPoller() { callback.Reset(); }

	uv_async_t async;
	Nan::Persistent<Function> callback;
	Pipeline *obj;
	BusWake *wake;
};

static void busPollerClosed(uv_handle_t *handle) {
	delete static_cast<BusPoller *>(handle->data);
}

void Pipeline::_busWoken(uv_async_t *handle) {
	BusPoller *poller = static_cast<BusPoller *>(handle->data);
	Pipeline *obj = poller->obj;
	{
		GstMessage *msg;
		while ((msg = static_cast<GstMessage *>(g_async_queue_try_pop(poller->wake->messages))) != NULL) {
			Nan::HandleScope scope;
			Local<Object> m = Nan::New<Object>();
			Nan::Set(m, Nan::New("type").ToLocalChecked(), Nan::New(GST_MESSAGE_TYPE_NAME(msg)).ToLocalChecked());

			const GstStructure *structure = (GstStructure*)gst_message_get_structure(msg);
			if(structure)
				gst_structure_to_v8(m, structure);

			GstObject *src = msg->src;
			if (src) Nan::Set(m, Nan::New("_src_element_name").ToLocalChecked(), Nan::New<String>((const char *)src->name).ToLocalChecked());

			if(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
				GError *err = NULL;
				gchar *name = src ? gst_object_get_path_string(src) : g_strdup("");
				Nan::Set(m,Nan::New("name").ToLocalChecked(), Nan::New(name).ToLocalChecked());
				g_free(name);
				gst_message_parse_error(msg, &err, NULL);
				Nan::Set(m,Nan::New("message").ToLocalChecked(), Nan::New(err ? err->message : "unknown error").ToLocalChecked());
				if (err) g_error_free(err);
			}

			Local<Value> argv[1] = { m };
			v8::Local<v8::Function> callback = Nan::New(poller->callback);
			v8::Local<v8::Object> target = Nan::New<v8::Object>();
			gst_message_unref(msg);
			poller->runInAsyncScope(target, callback, 1, argv);
		}
	}
	// Polling ends once the pipeline was started and is back in NULL; let the wrapper be collected.
	GST_OBJECT_LOCK(obj->pipeline);
	const bool stopped = GST_STATE(obj->pipeline) == GST_STATE_NULL && GST_STATE_TARGET(obj->pipeline) == GST_STATE_NULL;
	GST_OBJECT_UNLOCK(obj->pipeline);
	if (!obj->started || !stopped) return;
	g_mutex_lock(&poller->wake->lock);
	poller->wake->async = NULL;
	g_mutex_unlock(&poller->wake->lock);
	obj->busPolling = false;
	uv_close(reinterpret_cast<uv_handle_t *>(&poller->async), busPollerClosed);
	obj->Unref();
}

NAN_METHOD(Pipeline::PollBus) {
	Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());

	if(info.Length() == 0 || !info[0]->IsFunction()) {
		return Nan::ThrowError("Callback is required and must be a Function.");
	}
	if (obj->busPolling) return Nan::ThrowError("pollBus: the bus of this pipeline is already polled");
	GstBus *bus = gst_element_get_bus(GST_ELEMENT(obj->pipeline));
	if (!bus) return Nan::ThrowError("pollBus: the pipeline has no bus");

	BusWake *wake = g_new0(BusWake, 1);
	g_mutex_init(&wake->lock);
	wake->messages = g_async_queue_new();
	// What was posted before (kept since auto-flush-bus is off) comes first.
	GstMessage *earlier;
	while ((earlier = gst_bus_pop(bus)) != NULL) g_async_queue_push(wake->messages, earlier);
	BusPoller *poller = new BusPoller(obj, Local<Function>::Cast(info[0]), wake);
	uv_async_init(Nan::GetCurrentEventLoop(), &poller->async, _busWoken);
	wake->async = &poller->async;
	// The handler (and its data) lives as long as the bus: a thread may still be inside it while polling ends.
	gst_bus_set_sync_handler(bus, busPosted, wake, busWakeFree);
	gst_object_unref(bus);
	obj->busPolling = true;
	obj->Ref();
	uv_async_send(&poller->async); // what is on the bus already
}

/** Wakes the pulls waiting on the pipeline's appsinks (after a state change that ends them). */
void Pipeline::wakeAppSinks() {
	GstIterator *it = gst_bin_iterate_sinks(GST_BIN(pipeline));
	GValue item = G_VALUE_INIT;
	gboolean more = TRUE;
	while (more) {
		switch (gst_iterator_next(it, &item)) {
			case GST_ITERATOR_OK: {
				GstElement *e = GST_ELEMENT(g_value_get_object(&item));
				if (GST_IS_APP_SINK(e)) wakeAppSinkPull(GST_APP_SINK(e));
				g_value_reset(&item);
				break;
			}
			case GST_ITERATOR_RESYNC: gst_iterator_resync(it); break;
			default: more = FALSE; break;
		}
	}
	g_value_unset(&item);
	gst_iterator_free(it);
}

NAN_GETTER(Pipeline::GetAutoFlushBus) {
	Pipeline *obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	info.GetReturnValue().Set(Nan::New<Boolean>(gst_pipeline_get_auto_flush_bus(obj->pipeline)));
}

NAN_SETTER(Pipeline::SetAutoFlushBus) {
	if(value->IsBoolean()) {
		Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
		gst_pipeline_set_auto_flush_bus(obj->pipeline, Nan::To<Boolean>(value).ToLocalChecked()->Value());
	}
}

NAN_GETTER(Pipeline::GetDelay) {
	Pipeline *obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	double secs = NANOS_TO_DOUBLE(gst_pipeline_get_delay(obj->pipeline));
	info.GetReturnValue().Set(Nan::New<Number>(secs));
}

NAN_SETTER(Pipeline::SetDelay) {
	if(value->IsNumber()) {
		Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
		gst_pipeline_set_delay(obj->pipeline, DOUBLE_TO_NANOS(Nan::To<Number>(value).ToLocalChecked()->Value()));
	}
}
NAN_GETTER(Pipeline::GetLatency) {
	Pipeline *obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
	double secs = NANOS_TO_DOUBLE(gst_pipeline_get_latency(obj->pipeline));
	info.GetReturnValue().Set(Nan::New<Number>(secs));
}
NAN_SETTER(Pipeline::SetLatency) {
	if(value->IsNumber()) {
		Pipeline* obj = Nan::ObjectWrap::Unwrap<Pipeline>(info.This());
		gst_pipeline_set_latency(obj->pipeline, DOUBLE_TO_NANOS(Nan::To<Number>(value).ToLocalChecked()->Value()));
	}
}
