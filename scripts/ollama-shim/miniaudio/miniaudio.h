/*
 * A stand-in for miniaudio.h, written for this project.
 *
 * Ollama's module zip omits llama.cpp's vendor/ folder, and miniaudio is not
 * packaged anywhere this build can reach. The only user,
 * llama.cpp/tools/mtmd/mtmd-helper.cpp, decodes audio input for multimodal
 * models; forensics never sends audio, so this header declares just the
 * types and functions that file uses and makes every decode fail cleanly
 * (mtmd then reports "Unable to read WAV audio file from buffer").
 *
 * mtmd-helper.cpp defines MINIAUDIO_IMPLEMENTATION and MA_API (static)
 * before including this file, so the functions are defined here.
 */
#ifndef FORENSICS_MINIAUDIO_SHIM_H
#define FORENSICS_MINIAUDIO_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifndef MA_API
#define MA_API static
#endif

typedef int ma_result;
typedef uint32_t ma_uint32;
typedef uint64_t ma_uint64;

#define MA_SUCCESS 0
#define MA_ERROR (-1)
#define MA_NOT_IMPLEMENTED (-29)

typedef enum { ma_format_unknown = 0, ma_format_f32 = 5 } ma_format;
typedef enum { ma_encoding_format_unknown = 0, ma_encoding_format_wav = 1 } ma_encoding_format;

typedef struct {
    ma_format format;
    ma_uint32 channels;
    ma_uint32 sampleRate;
} ma_decoder_config;

typedef struct {
    int unused;
} ma_decoder;

MA_API inline ma_decoder_config ma_decoder_config_init(ma_format format, ma_uint32 channels, ma_uint32 sample_rate) {
    ma_decoder_config c;
    c.format = format;
    c.channels = channels;
    c.sampleRate = sample_rate;
    return c;
}

MA_API inline ma_result ma_decoder_init_memory(const void * data, size_t size, const ma_decoder_config * config, ma_decoder * decoder) {
    (void) data; (void) size; (void) config; (void) decoder;
    return MA_NOT_IMPLEMENTED;
}

MA_API inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder * decoder, ma_uint64 * length) {
    (void) decoder;
    if (length) { *length = 0; }
    return MA_NOT_IMPLEMENTED;
}

MA_API inline ma_result ma_decoder_read_pcm_frames(ma_decoder * decoder, void * out, ma_uint64 frames, ma_uint64 * read) {
    (void) decoder; (void) out; (void) frames;
    if (read) { *read = 0; }
    return MA_NOT_IMPLEMENTED;
}

MA_API inline ma_result ma_decoder_uninit(ma_decoder * decoder) {
    (void) decoder;
    return MA_SUCCESS;
}

#endif
