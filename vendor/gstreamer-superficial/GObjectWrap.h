#ifndef __GObjectWrap_h__
#define __GObjectWrap_h__

#include <nan.h>
#include <gst/gst.h>

#include "GLibHelpers.h"

class GObjectWrap : public Nan::ObjectWrap {
	public:
		static void Init();
		static Local<Value> NewInstance( const Nan::FunctionCallbackInfo<Value>& info, GObject *obj );

		void set( const char *name, const Local<Value> value );

		void play();
		void pause();
		void stop();

	private:
		GObjectWrap() {}
		// edgevis: the wrapped object came with a reference (gst_bin_get_by_name); drop it with the wrapper.
		~GObjectWrap() { if(obj) g_object_unref(obj); }

		GObject *obj;

		static Nan::Persistent<Function> constructor;
		// edgevis: the appsink's pull and the appsrc's push, made once (see GObjectWrap.cpp).
		static Nan::Persistent<FunctionTemplate> pullTemplate;
		static Nan::Persistent<FunctionTemplate> pushTemplate;
		static NAN_METHOD(New);
		// edgevis: V8's own accessor callbacks (see NewInstance).
		static void GetProperty(Local<Name> property, const PropertyCallbackInfo<Value>& info);
		static void SetProperty(Local<Name> property, Local<Value> value, const PropertyCallbackInfo<void>& info);

/*
		static void _doPullBuffer( uv_work_t *req );
		static void _pulledBuffer( uv_work_t *req, int );
		*/
		static NAN_METHOD(GstAppSinkPull);
        static NAN_METHOD(GstAppSrcPush);
};

#endif
