import Foundation
import Logging
import Synchronization
import Testing

@testable import ImageService

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLineWithMetadata() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "imageproc") { label in
            JSONLogHandler(label: label, level: .info) { line in lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "worker"] = "2"
        logger.info("job completed", metadata: ["job.id": "abc", "note": "a \"quoted\"\nline"])
        logger.debug("below the level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        #expect(written[0].hasSuffix("\n"))
        #expect(written[0].dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: String])
        #expect(object["message"] == "job completed")
        #expect(object["level"] == "info")
        #expect(object["logger"] == "imageproc")
        #expect(object["job.id"] == "abc")
        #expect(object["worker"] == "2")
        #expect(object["note"] == "a \"quoted\"\nline")
        #expect(object["time"] != nil)
    }

    /// JSON allows DEL, C1 controls, U+2028 and U+2029 raw in strings, but log viewers and JavaScript break lines on
    /// some of them: they are written as `\uXXXX`, and the line still parses back to the same text.
    @Test func escapesEveryLineBreakEvenThoseJSONAllowsRaw() throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "imageproc") { label in
            JSONLogHandler(label: label, level: .info) { line in lines.withLock { $0.append(line) } }
        }
        let hostile = "/\r\nFAKE\u{2028}line\u{2029}para\u{85}nel\u{7F}del\u{1B}esc"
        logger.info("request \(hostile)", metadata: ["http.path": "\(hostile)"])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        let raw = line.dropLast().unicodeScalars.filter {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029
        }
        #expect(raw.isEmpty, "\(line.debugDescription)")
        #expect(line.contains(#"\u2028line\u2029para\u0085nel\u007fdel"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["http.path"] == hostile)
        #expect(object["message"] == "request \(hostile)")
    }
}
