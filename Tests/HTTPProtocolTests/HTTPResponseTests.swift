import Foundation
import Testing

@testable import HTTPProtocol

@Suite struct HTTPResponseTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func serializesHeadWithLengthAndDate() {
        let response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("hi".utf8))
        let expected =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        #expect(text(response.serializedHead(keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT")) == expected)
        #expect(text(response.serialized(keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT")) == expected + "hi")
    }

    @Test func addsConnectionCloseWhenNotKeepingAlive() {
        let response = HTTPResponse(status: .notFound, headers: ["Connection": "keep-alive"])
        #expect(
            text(response.serializedHead(keepAlive: false, date: "D"))
                == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\nDate: D\r\n\r\n")
    }

    @Test func keepsExplicitLengthAndDate() {
        // A HEAD answer: the GET body's length, no body.
        let response = HTTPResponse(status: .ok, headers: ["Content-Length": "1234", "Date": "X"])
        #expect(
            text(response.serializedHead(keepAlive: true, date: "D"))
                == "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDate: X\r\n\r\n")
    }

    @Test func omitsLengthWhenAskedAndFor204And1xx() {
        let withBody = HTTPResponse(status: .ok, body: [1, 2, 3])
        #expect(
            text(withBody.serializedHead(keepAlive: true, includeBodyLength: false, date: "D"))
                == "HTTP/1.1 200 OK\r\nDate: D\r\n\r\n")
        #expect(
            text(HTTPResponse(status: .noContent).serializedHead(keepAlive: true, date: "D"))
                == "HTTP/1.1 204 No Content\r\nDate: D\r\n\r\n")
        #expect(
            text(HTTPResponse(status: .continue).serializedHead(keepAlive: true, date: "D"))
                == "HTTP/1.1 100 Continue\r\nDate: D\r\n\r\n")
    }

    @Test func writesA304WithItsValidatorsAndNoContentLength() {
        // RFC 9110 §8.6: a 304 may only carry the 200's Content-Length; `Content-Length: 0` would contradict it.
        let response = HTTPResponse(
            status: .notModified, headers: ["ETag": #""abc-original""#, "Cache-Control": "private, max-age=60"])
        #expect(
            text(response.serializedHead(keepAlive: true, date: "D"))
                == "HTTP/1.1 304 Not Modified\r\nETag: \"abc-original\"\r\nCache-Control: private, max-age=60\r\n"
                + "Date: D\r\n\r\n")
        #expect(
            text(response.serialized(keepAlive: false, date: "D"))
                == "HTTP/1.1 304 Not Modified\r\nETag: \"abc-original\"\r\nCache-Control: private, max-age=60\r\n"
                + "Connection: close\r\nDate: D\r\n\r\n")
    }

    @Test func dropsLineBreaksFromHeaderValues() {
        let response = HTTPResponse(status: .ok, headers: ["X-Name": "a\r\nSet-Cookie: evil\u{0}"])
        #expect(
            text(response.serializedHead(keepAlive: true, date: "D"))
                == "HTTP/1.1 200 OK\r\nX-Name: aSet-Cookie: evil\r\nContent-Length: 0\r\nDate: D\r\n\r\n")
    }

    @Test func encodesErrorBodyExactly() {
        let response = HTTPResponse.error(status: .notFound, code: "not_found", message: "no job \"x\"")
        #expect(response.status == .notFound)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(text(response.body) == #"{"error":{"code":"not_found","message":"no job \"x\""}}"#)
    }

    private struct Sample: Encodable {
        var name: String
        var path: String
        var at: Date
    }

    @Test func encodesJSONWithFractionalISODatesAndKeepsHeaders() {
        let value = Sample(name: "a", path: "/images/1", at: Date(timeIntervalSince1970: 1_700_000_000.25))
        let response = HTTPResponse.json(.created, value, headers: ["Location": "/images/1"])
        #expect(response.status == .created)
        #expect(response.headers == ["Location": "/images/1", "Content-Type": "application/json"])
        #expect(text(response.body) == #"{"at":"2023-11-14T22:13:20.250Z","name":"a","path":"/images/1"}"#)
    }

    private struct Unencodable: Encodable {
        func encode(to encoder: any Encoder) throws {
            throw EncodingError.invalidValue(0, .init(codingPath: [], debugDescription: "no"))
        }
    }

    @Test func turnsEncodingFailureIntoInternalError() {
        let response = HTTPResponse.json(.ok, Unencodable())
        #expect(response.status == .internalServerError)
        #expect(text(response.body) == #"{"error":{"code":"internal_error","message":"response encoding failed"}}"#)
    }
}
