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
}
