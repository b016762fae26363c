import Testing

@testable import HTTPProtocol

@Suite struct EntityTagTests {
    @Test func parsesStrongAndWeakTags() throws {
        #expect(EntityTag(parsing: #""abc-1""#) == EntityTag("abc-1"))
        #expect(EntityTag(parsing: #"W/"abc-1""#) == EntityTag("abc-1", weak: true))
        #expect(EntityTag(parsing: #""""#) == EntityTag(""))
        #expect(EntityTag("x", weak: true).description == #"W/"x""#)
        #expect(EntityTag("x").description == #""x""#)
    }

    @Test func rejectsWhatIsNotOneEntityTag() {
        for text in [
            "", "abc", #""abc"#, #"w/"abc""#, #"W"abc""#, #"W/abc"#, #""a b""#, "\"a\u{7F}\"", "\"a\tb\"",
            #" "abc""#, #""abc" "#, #""a""b""#, #""abc",x"#, "*",
        ] {
            #expect(EntityTag(parsing: Substring(text)) == nil, "\(text)")
        }
    }

    @Test func acceptsObsTextInTheOpaqueTag() {
        #expect(EntityTag(parsing: "\"caf\u{E9}\"")?.opaqueTag == "caf\u{E9}")
    }

    @Test func comparesWeaklyAsRFC9110Table() {
        // RFC 9110 §8.8.3.2, the weak column of the four rows of its example.
        let weak1 = EntityTag("1", weak: true)
        let weak2 = EntityTag("2", weak: true)
        let strong1 = EntityTag("1")
        #expect(weak1.weaklyMatches(weak1))
        #expect(!weak1.weaklyMatches(weak2))
        #expect(weak1.weaklyMatches(strong1))
        #expect(strong1.weaklyMatches(strong1))
    }
}

@Suite struct IfNoneMatchTests {
    private let current = EntityTag("id-original")

    @Test func starMatchesAnyRepresentation() throws {
        let condition = try #require(IfNoneMatch(fieldValue: " * "))
        #expect(condition == .any)
        #expect(condition.matches(current))
    }

    @Test func matchesAStrongOrWeakTagOfTheSameOpaqueValue() throws {
        #expect(try #require(IfNoneMatch(fieldValue: #""id-original""#)).matches(current))
        #expect(try #require(IfNoneMatch(fieldValue: #"W/"id-original""#)).matches(current))
        #expect(try #require(IfNoneMatch(fieldValue: #""id-original""#)).matches(EntityTag("id-original", weak: true)))
        #expect(try #require(IfNoneMatch(fieldValue: #""id-processed""#)).matches(current) == false)
    }

    @Test func matchesWhenAnyTagOfAListDoes() throws {
        let condition = try #require(IfNoneMatch(fieldValue: #""a", W/"id-original" ,"b""#))
        #expect(condition == .tags([EntityTag("a"), EntityTag("id-original", weak: true), EntityTag("b")]))
        #expect(condition.matches(current))
        #expect(try #require(IfNoneMatch(fieldValue: #""a","b""#)).matches(current) == false)
    }

    @Test func skipsEmptyListElements() throws {
        // RFC 9110 §5.6.1: a recipient accepts empty elements.
        let condition = try #require(IfNoneMatch(fieldValue: #", "a", ,, "id-original","#))
        #expect(condition == .tags([EntityTag("a"), EntityTag("id-original")]))
    }

    @Test func keepsCommasInsideTheOpaqueTag() throws {
        // A comma is an etagc: splitting the field on commas first would cut this tag in two.
        let condition = try #require(IfNoneMatch(fieldValue: #""a,b", "c""#))
        #expect(condition == .tags([EntityTag("a,b"), EntityTag("c")]))
    }

    @Test func ignoresMalformedFieldsAsIfAbsent() {
        for text in [
            "", " ", ",", "id-original", #""id-original"#, #"W/id-original"#, #""a" "b""#, #""a", *"#, "*, *",
            #"*, "a""#, #"w/"id-original""#, #""a";"b""#,
        ] {
            #expect(IfNoneMatch(fieldValue: text) == nil, "\(text)")
        }
    }

    @Test func combinesRepeatedFieldLines() throws {
        let headers: HTTPHeaders = HTTPHeaders([("If-None-Match", #""a""#), ("if-none-match", #"W/"id-original""#)])
        #expect(try #require(IfNoneMatch(headers)).matches(current))
        #expect(IfNoneMatch(HTTPHeaders()) == nil)
    }
}
