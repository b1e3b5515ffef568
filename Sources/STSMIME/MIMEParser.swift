import CGMime
import Foundation

/// Reads e-mail with GMime: headers, nested multiparts, attached messages, transfer encodings.
///
/// The only file that imports CGMime. GMime does the hard, well-trodden parts
/// (header folding, RFC 2047 and 2231, base64 and quoted-printable, boundaries);
/// this file walks its tree once and copies out plain values.
public enum MIME {
    /// `g_mime_init` once per process, before the first parse on any thread.
    private static let initialized: Bool = {
        g_mime_init()
        return true
    }()

    /// Parses one RFC 5322 message from untrusted bytes.
    public static func parse(_ data: Data, limits: MIMELimits = .default) throws(MIMEError) -> MailMessage {
        guard !data.isEmpty else { throw .empty }
        guard data.count <= limits.maxMessageBytes else { throw .tooLarge(size: data.count, limit: limits.maxMessageBytes) }
        precondition(initialized)
        let parsed: UnsafeMutablePointer<GMimeMessage>? = data.withUnsafeBytes { raw in
            stsm_parse_message(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard let message = parsed else { throw .notAMessage }
        defer { stsm_unref_message(message) }

        var mail = MailMessage()
        mail.subject = string(g_mime_message_get_subject(message))
        if let from = stsm_from_text(message) {
            mail.from = String(cString: from)
            stsm_free(from)
        }
        var dateOK: Int32 = 0
        let seconds = stsm_date_seconds(message, &dateOK)
        if dateOK != 0 { mail.date = Date(timeIntervalSince1970: TimeInterval(seconds)) }
        mail.dateText = string(g_mime_object_get_header(stsm_message_as_object(message), "Date"))
        mail.messageID = string(g_mime_message_get_message_id(message))
        guard let root = g_mime_message_get_mime_part(message) else {
            // A header block with no body: no parts to offer.
            return mail
        }
        var walker = Walker(limits: limits)
        walker.walk(root, position: "1", depth: 0, isRoot: true)
        mail.parts = walker.parts
        mail.notes = walker.notes
        // A header-only message with headers GMime could not read is not a message.
        if mail.parts.isEmpty && mail.subject == nil && mail.from == nil && mail.messageID == nil && mail.dateText == nil {
            throw .notAMessage
        }
        return mail
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Walks GMime's tree depth-first, copying leaf parts out within the limits.
    private struct Walker {
        let limits: MIMELimits
        var parts: [MailPart] = []
        var notes: [String] = []
        private var skippedDeep = false
        private var skippedMany = false

        init(limits: MIMELimits) { self.limits = limits }

        mutating func walk(_ object: UnsafeMutablePointer<GMimeObject>, position: String, depth: Int, isRoot: Bool) {
            guard depth <= limits.maxDepth else {
                if !skippedDeep {
                    skippedDeep = true
                    notes.append("parts nested deeper than \(limits.maxDepth) levels were skipped (first at \(position))")
                }
                return
            }
            if stsm_is_multipart(object) != 0 {
                let multipart = stsm_as_multipart(object)
                let count = g_mime_multipart_get_count(multipart)
                guard count > 0 else { return }
                for index in 0..<count {
                    guard let child = g_mime_multipart_get_part(multipart, index) else { continue }
                    // IMAP numbering: the root multipart's children are 1, 2, …; deeper ones are prefixed.
                    let childPosition = isRoot ? "\(index + 1)" : "\(position).\(index + 1)"
                    walk(child, position: childPosition, depth: depth + 1, isRoot: false)
                }
            } else if stsm_is_message_part(object) != 0 {
                guard let inner = g_mime_message_part_get_message(stsm_as_message_part(object)),
                      let root = g_mime_message_get_mime_part(inner) else { return }
                walk(root, position: position, depth: depth + 1, isRoot: false)
            } else if stsm_is_part(object) != 0 {
                guard parts.count < limits.maxParts else {
                    if !skippedMany {
                        skippedMany = true
                        notes.append("more than \(limits.maxParts) parts; the rest were skipped (first at \(position))")
                    }
                    return
                }
                parts.append(leaf(stsm_as_part(object), object: object, position: position))
            }
        }

        private func leaf(_ part: UnsafeMutablePointer<GMimePart>, object: UnsafeMutablePointer<GMimeObject>, position: String) -> MailPart {
            var contentType = "text/plain"
            var parameters: [String: String] = [:]
            if let type = g_mime_object_get_content_type(object) {
                let media = string(g_mime_content_type_get_media_type(type)) ?? "text"
                let sub = string(g_mime_content_type_get_media_subtype(type)) ?? "plain"
                contentType = "\(media)/\(sub)".lowercased()
                if let list = g_mime_content_type_get_parameters(type) {
                    for index in 0..<max(0, g_mime_param_list_length(list)) {
                        guard let param = g_mime_param_list_get_parameter_at(list, index),
                              let name = string(g_mime_param_get_name(param)) else { continue }
                        parameters[name.lowercased()] = string(g_mime_param_get_value(param)) ?? ""
                    }
                }
            }
            let filename = string(g_mime_part_get_filename(part))
            var body = Data()
            if let stream = stsm_decoded_content(part) {
                var length = 0
                if let bytes = stsm_stream_bytes(stream, &length), length > 0 {
                    body = Data(bytes: bytes, count: length)
                }
                stsm_unref_stream(stream)
            }
            return MailPart(contentType: contentType, parameters: parameters, filename: filename, body: body, position: position)
        }
    }
}
