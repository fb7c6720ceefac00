// LocaLLM's additions to the binding's JNI library: what the library is and what it can do.
#include <jni.h>

#include <string>

#include "ggml-backend.h"
#include "llama.h"

static std::string json_escape(const char *text) {
    std::string out;
    for (const char *c = text == nullptr ? "" : text; *c != '\0'; c++) {
        unsigned char ch = static_cast<unsigned char>(*c);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += *c;
        } else if (ch < 0x20) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", ch);
            out += buf;
        } else {
            out += *c;
        }
    }
    return out;
}

static const char *device_type(enum ggml_backend_dev_type type) {
    switch (type) {
    case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
    case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
    case GGML_BACKEND_DEVICE_TYPE_ACCEL: return "accelerator";
    default: return "other";
    }
}

extern "C" {

/** A JSON object: variant, llama.cpp tag and commit, system info (CPU features), GPU offload, devices. */
JNIEXPORT jstring JNICALL Java_dev_locallm_llamacpp_NativeBuild_describe(JNIEnv *env, jclass) {
    std::string json = "{\"variant\":\"" + json_escape(LOCALLM_VARIANT) + "\",\"llamaCppTag\":\""
        + json_escape(LOCALLM_LLAMA_TAG) + "\",\"llamaCppCommit\":\"" + json_escape(LOCALLM_LLAMA_COMMIT)
        + "\",\"systemInfo\":\"" + json_escape(llama_print_system_info()) + "\",\"gpuOffload\":"
        + (llama_supports_gpu_offload() ? "true" : "false") + ",\"devices\":[";
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        // Memory is not asked for: on CUDA that would create a context, and take its memory, on every GPU.
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        json += std::string(i == 0 ? "" : ",") + "{\"name\":\"" + json_escape(ggml_backend_dev_name(dev))
            + "\",\"description\":\"" + json_escape(ggml_backend_dev_description(dev)) + "\",\"type\":\""
            + device_type(ggml_backend_dev_type(dev)) + "\"}";
    }
    json += "]}";
    return env->NewStringUTF(json.c_str());
}

}
