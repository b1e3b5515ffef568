// GMime 3 (and the GLib object system under it) for STSMIME, the only target
// that imports this module. GLib's type checks and casts are macros, which
// Swift cannot call: each one used is wrapped here as a static inline function.
#ifndef STSWATCH_CGMIME_SHIM_H
#define STSWATCH_CGMIME_SHIM_H

#include <gmime/gmime.h>

// MARK: type checks (G_TYPE_CHECK_INSTANCE_TYPE)

static inline int stsm_is_multipart(GMimeObject *o) { return GMIME_IS_MULTIPART(o); }
static inline int stsm_is_part(GMimeObject *o) { return GMIME_IS_PART(o); }
static inline int stsm_is_message_part(GMimeObject *o) { return GMIME_IS_MESSAGE_PART(o); }

// MARK: casts (G_TYPE_CHECK_INSTANCE_CAST); only call after the matching check

static inline GMimeMultipart *stsm_as_multipart(GMimeObject *o) { return GMIME_MULTIPART(o); }
static inline GMimePart *stsm_as_part(GMimeObject *o) { return GMIME_PART(o); }
static inline GMimeMessagePart *stsm_as_message_part(GMimeObject *o) { return GMIME_MESSAGE_PART(o); }
static inline GMimeObject *stsm_message_as_object(GMimeMessage *m) { return GMIME_OBJECT(m); }
static inline GMimeStreamMem *stsm_as_stream_mem(GMimeStream *s) { return GMIME_STREAM_MEM(s); }

// MARK: reference counting (g_object_unref takes a gpointer; name the owners)

static inline void stsm_unref_message(GMimeMessage *m) { g_object_unref(m); }
static inline void stsm_unref_parser(GMimeParser *p) { g_object_unref(p); }
static inline void stsm_unref_stream(GMimeStream *s) { g_object_unref(s); }

/// The message parsed from `len` bytes at `bytes` (copied), or NULL when GMime finds no message.
/// The caller owns the result (stsm_unref_message).
static inline GMimeMessage *stsm_parse_message(const char *bytes, size_t len) {
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream); // the parser holds its own reference
    GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    return message;
}

/// Writes a leaf part's content with its transfer encoding (base64, quoted-printable, uuencode)
/// undone into a new memory stream, which the caller owns; NULL when the part has no content.
static inline GMimeStream *stsm_decoded_content(GMimePart *part) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (!content) return NULL;
    GMimeStream *out = g_mime_stream_mem_new();
    if (g_mime_data_wrapper_write_to_stream(content, out) < 0) {
        g_object_unref(out);
        return NULL;
    }
    return out;
}

/// The bytes held by a memory stream (owned by the stream).
static inline const unsigned char *stsm_stream_bytes(GMimeStream *s, size_t *len) {
    GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    *len = array ? array->len : 0;
    return array ? array->data : NULL;
}

/// The From header's addresses as display text (the caller frees it with g_free), or NULL.
static inline char *stsm_from_text(GMimeMessage *m) {
    InternetAddressList *list = g_mime_message_get_from(m);
    if (!list || internet_address_list_length(list) == 0) return NULL;
    return internet_address_list_to_string(list, NULL, FALSE);
}

/// Seconds since 1970 of the Date header, or 0 with *ok = 0 when there is none GMime can read.
static inline long long stsm_date_seconds(GMimeMessage *m, int *ok) {
    GDateTime *date = g_mime_message_get_date(m);
    *ok = date != NULL;
    return date ? g_date_time_to_unix(date) : 0;
}

static inline void stsm_free(void *p) { g_free(p); }

#endif
