import Foundation
import Testing

@testable import ImageService

@Suite struct JSONValueDepthTests {
    @Test(arguments: [
        ("1", 0), (#""[{""#, 0), ("{}", 1), ("[1,2]", 1), (#"{"a":[2]}"#, 2), (#"{"a":{"b":[]},"c":[[3]]}"#, 3),
        (#"{"k":"}}}{{{[[[","l":"\"{["}"#, 1), (#"[{"a":"\\"},[]]"#, 2),
    ])
    func countsNestingOutsideStrings(text: String, depth: Int) {
        #expect(JSONValue.nestingDepth(of: text.utf8, limit: 100) == depth)
    }

    @Test func stopsJustPastTheLimit() {
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(JSONValue.nestingDepth(of: hostile.utf8, limit: 16) == 17)
        #expect(JSONValue(json: hostile, maxDepth: 16) == nil)
    }

    @Test func parsesWithinTheLimit() {
        let sixteen = String(repeating: "[", count: 16) + String(repeating: "]", count: 16)
        #expect(JSONValue(json: sixteen, maxDepth: 16) != nil)
        #expect(JSONValue(json: "[" + sixteen + "]", maxDepth: 16) == nil)
    }

    /// What Foundation's JSONDecoder does with 100,000 `[`: it refuses the text at its own depth limit rather than
    /// overflowing the stack. The guard above runs first all the same, and costs one pass.
    @Test func foundationsDecoderRefusesHostileNestingWithoutCrashing() {
        let hostile = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONValue(json: hostile) == nil)
        #expect((try? JSONSerialization.jsonObject(with: Data(hostile.utf8))) == nil)
    }
}
