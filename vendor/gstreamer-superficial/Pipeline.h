#ifndef __Pipeline_h__
#define __Pipeline_h__

#include <nan.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#include "GLibHelpers.h"

/** edgevis: wakes the pull waiting on an appsink, if any (any thread; GObjectWrap.cpp). */
void wakeAppSinkPull(GstAppSink *appsink);

class Pipeline : public Nan::ObjectWrap {
	public:
		static void Init( Local<Object> exports );
		
		void play();
		void pause();
		void stop();
		gboolean seek(gint64 time_nanoseconds, GstSeekFlags flags);
		gint64 queryPosition();
		gint64 queryDuration();
		void sendEOS();
		void forceKeyUnit(GObject* sink, int cnt);
		
		GObject *findChild( const char *name );
		Local<Value> pollBus();
		
		void setPad( GObject* elem, const char *attribute, const char *padName );
		
	private:
		Pipeline(const char *launch);
		Pipeline(GstPipeline *pipeline);
		// edgevis: the pipeline is released when its wrapper is collected (upstream never unref'd it).
		~Pipeline() {
			if(!pipeline) return;
			gst_element_set_state(GST_ELEMENT(pipeline), GST_STATE_NULL);
			wakeAppSinks();
			// Messages left on the bus hold references to their source elements (a cycle through the bus).
			GstBus *bus = gst_element_get_bus(GST_ELEMENT(pipeline));
			if(bus) { gst_bus_set_flushing(bus, TRUE); gst_object_unref(bus); }
			gst_object_unref(pipeline);
			pipeline = NULL;
		}
		
		static Nan::Persistent<Function> constructor;
		
		GstPipeline *pipeline;
		
		static NAN_METHOD(New);
		static NAN_METHOD(Play);
		static NAN_METHOD(Pause);
		static NAN_METHOD(Stop);
		static NAN_METHOD(Seek);
		static NAN_METHOD(QueryPosition);
		static NAN_METHOD(QueryDuration);
		static NAN_METHOD(SendEOS);
		static NAN_METHOD(ForceKeyUnit);
		static NAN_METHOD(FindChild);
		static NAN_METHOD(SetPad);

		// edgevis: the bus is watched through a uv_async handle woken by a sync handler (see Pipeline.cpp).
		static void _busWoken( uv_async_t *handle );
		void wakeAppSinks();
		bool started = false; // play() or pause() was called
		bool busPolling = false;
		static NAN_METHOD(PollBus);
		
		static NAN_GETTER(GetAutoFlushBus);
		static NAN_SETTER(SetAutoFlushBus);
		static NAN_GETTER(GetDelay);
		static NAN_SETTER(SetDelay);
		static NAN_GETTER(GetLatency);
		static NAN_SETTER(SetLatency);
		
};

#endif
