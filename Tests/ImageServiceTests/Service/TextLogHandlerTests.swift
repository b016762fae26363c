import Foundation
import Logging
import Synchronization
import Testing

@testable import ImageService

/// Issue 12 finding 9: swift-log's StreamLogHandler, the text format's handler until then, wrote messages and
/// metadata raw, so a CR/LF in a decoded path (`/%0d%0aFAKE`) forged a line of its own in the log.
@Suite struct TextLogHandlerTests {
    private static func capture(_ body: (inout Logger) -> Void) -> [String] {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "imageproc") { label in
            TextLogHandler(label: label, level: .info) { line in lines.withLock { $0.append(line) } }
        }
        body(&logger)
        return lines.withLock { $0 }
    }

    @Test func aValueHoldingCRLFStaysOnOneLine() {
        let written = Self.capture { logger in
            logger.info(
                "request",
                metadata: [
                    "http.path": "/\r\n2030-01-01T00:00:00Z info imageproc: FAKE admin logged in",
                    "http.method": "GET",
                ])
        }
        #expect(written.count == 1)
        let line = written[0]
        #expect(line.hasSuffix("\n"))
        let breaks = line.dropLast().unicodeScalars.filter { (scalar: Unicode.Scalar) -> Bool in
            scalar == "\n" || scalar == "\r"
        }
        #expect(breaks.isEmpty)
        #expect(line.contains(#"http.path="/\r\n2030-01-01T00:00:00Z info imageproc: FAKE admin logged in""#))
        #expect(line.contains(" info imageproc: request "))
        #expect(line.contains("http.method=GET"))
    }

    @Test func escapesEveryLineBreakAndControlInMessagesKeysAndValues() {
        let hostile = "a\u{0}b\u{1B}[31mc\u{7F}d\u{85}e\u{2028}f\u{2029}g\u{0B}h\u{0C}i\\j\tk"
        let written = Self.capture { logger in
            logger[metadataKey: "worker"] = "\(hostile)"
            logger.warning("\(hostile)", metadata: ["k\n\(hostile)": "1"])
        }
        #expect(written.count == 1)
        let line = String(written[0].dropLast())
        let forbidden = line.unicodeScalars.filter {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029
        }
        #expect(forbidden.isEmpty, "\(line.debugDescription)")
        let escaped = #"a\u{0}b\u{1b}[31mc\u{7f}d\u{85}e\u{2028}f\u{2029}g\u{b}h\u{c}i\\j\tk"#
        #expect(line.contains("warning imageproc: \(escaped) "))
        #expect(line.contains("worker=\(escaped)"))
        #expect(line.contains(#"k\n"# + escaped + "=1"))
    }

    @Test func quotesValuesHoldingSpacesQuotesOrEquals() {
        let written = Self.capture { logger in
            logger.info("x", metadata: ["a": "two words", "b": #"say "hi""#, "c": "k=v", "d": "", "e": "plain"])
        }
        #expect(written.count == 1)
        #expect(written.first?.hasSuffix(#" x a="two words" b="say \"hi\"" c="k=v" d="" e=plain"# + "\n") == true)
    }

    @Test func dropsRecordsBelowTheLevel() {
        #expect(Self.capture { $0.debug("hidden") }.isEmpty)
    }
}
