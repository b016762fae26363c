import Testing

@testable import HTTPProtocol

@Suite struct HTTPHeadersTests {
    @Test func looksUpNamesCaseInsensitivelyAndReturnsTheFirst() {
        let headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1", "x-a": "2"]
        #expect(headers["content-TYPE"] == "text/plain")
        #expect(headers["X-A"] == "1")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        #expect(headers["Missing"] == nil)
        #expect(headers.values(for: "Missing") == [])
    }

    @Test func keepsInsertionOrderAndSpelling() {
        var headers = HTTPHeaders()
        headers.add(name: "B", value: "1")
        headers.add(name: "a", value: "2")
        headers.add(name: "B", value: "3")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["B=1", "a=2", "B=3"])
        #expect(headers.count == 3)
    }

    @Test func replaceOrAddReplacesTheFirstAndDropsTheRest() {
        var headers: HTTPHeaders = ["X": "1", "Y": "2", "x": "3"]
        headers.replaceOrAdd(name: "X", value: "new")
        #expect(headers == ["X": "new", "Y": "2"])
        headers.replaceOrAdd(name: "Z", value: "z")
        #expect(headers == ["X": "new", "Y": "2", "Z": "z"])
    }

    @Test func removeDropsEveryFieldOfThatName() {
        var headers: HTTPHeaders = ["X": "1", "Y": "2", "x": "3"]
        headers.remove(name: "X")
        #expect(headers == ["Y": "2"])
        #expect(!headers.contains("x"))
        #expect(headers.contains("y"))
    }

    @Test func comparesNamesOnlyInASCIICase() {
        #expect(HTTPHeaders.namesMatch("ETag", "etag"))
        #expect(!HTTPHeaders.namesMatch("ETag", "ETa"))
        #expect(!HTTPHeaders.namesMatch("İ", "i"))
    }

    @Test func equalityIsOrderSensitive() {
        #expect(HTTPHeaders([("A", "1"), ("B", "2")]) != HTTPHeaders([("B", "2"), ("A", "1")]))
        #expect(HTTPHeaders([("A", "1")]) != HTTPHeaders([("a", "1")]))
    }
}
