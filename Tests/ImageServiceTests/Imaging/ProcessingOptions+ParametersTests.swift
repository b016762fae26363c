import Testing

@testable import ImageService

extension Imaging {
    /// The query-string and CLI parameters: defaults, every accepted form, and a message naming the parameter for
    /// every rejected one.
    @Suite struct ProcessingOptionsParametersTests {
        private func parse(
            op: String? = nil, width: String? = nil, height: String? = nil, fit: String? = nil, format: String? = nil,
            quality: String? = nil
        ) throws(InvalidParameter) -> ProcessingOptions {
            try ProcessingOptions(op: op, width: width, height: height, fit: fit, format: format, quality: quality)
        }

        private func expectRejected(
            _ parameter: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation,
            _ body: () throws(InvalidParameter) -> ProcessingOptions
        ) {
            do {
                let options = try body()
                Issue.record("accepted: \(options)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.parameter == parameter, sourceLocation: sourceLocation)
                #expect(
                    error.message.hasPrefix(parameter) || error.message.contains(parameter),
                    sourceLocation: sourceLocation)
                for word in words {
                    #expect(error.message.contains(word), "\(error.message)", sourceLocation: sourceLocation)
                }
            }
        }

        @Test func defaultsToGrayscaleSameFormatQuality85() throws {
            #expect(
                try parse() == ProcessingOptions(operations: [.grayscale], fit: .inside, format: .same, quality: 85))
        }

        @Test func parsesOperationListsInOrder() throws {
            #expect(try parse(op: "grayscale").operations == [.grayscale])
            #expect(try parse(op: "resize", width: "10").operations == [.resize])
            #expect(try parse(op: "resize,grayscale", width: "10").operations == [.resize, .grayscale])
            #expect(try parse(op: "grayscale,resize", height: "10").operations == [.grayscale, .resize])
        }

        @Test func rejectsUnknownEmptyAndRepeatedOperations() {
            for op in ["blur", "", "resize,", ",grayscale", "Resize", "grayscale, resize"] {
                expectRejected("op", mentioning: ["grayscale", "resize"]) { () throws(InvalidParameter) in
                    try parse(op: op, width: "10")
                }
            }
            expectRejected("op", mentioning: ["at most once"]) { () throws(InvalidParameter) in
                try parse(op: "grayscale,grayscale")
            }
        }

        @Test func parsesDimensionsAtTheirBounds() throws {
            let options = try parse(op: "resize", width: "1", height: "16384")
            #expect(options.width == 1 && options.height == 16384)
            #expect(try parse(op: "resize", height: "300").width == nil)
        }

        @Test func rejectsDimensionsOutOfRangeOrNotIntegers() {
            for value in ["0", "16385", "-1", "abc", "1.5", "", " 10", "99999999999999999999"] {
                expectRejected("width", mentioning: ["integer from 1 to 16384"]) { () throws(InvalidParameter) in
                    try parse(op: "resize", width: value)
                }
                expectRejected("height", mentioning: ["integer from 1 to 16384"]) { () throws(InvalidParameter) in
                    try parse(op: "resize", height: value)
                }
            }
        }

        @Test func resizeNeedsAWidthOrAHeight() {
            expectRejected("width", mentioning: ["resize", "height"]) { () throws(InvalidParameter) in
                try parse(op: "resize,grayscale")
            }
        }

        @Test func parsesEveryFit() throws {
            #expect(try parse(op: "resize", width: "5").fit == .inside)
            for fit in ResizeFit.allCases {
                #expect(try parse(op: "resize", width: "5", fit: fit.rawValue).fit == fit)
            }
            expectRejected("fit", mentioning: ["inside", "cover", "fill"]) { () throws(InvalidParameter) in
                try parse(op: "resize", width: "5", fit: "stretch")
            }
        }

        @Test func parsesEveryFormat() throws {
            #expect(try parse(format: "jpeg").format == .jpeg)
            #expect(try parse(format: "jpg").format == .jpeg)
            #expect(try parse(format: "png").format == .png)
            #expect(try parse(format: "same").format == .same)
            expectRejected("format", mentioning: ["jpeg", "png", "same"]) { () throws(InvalidParameter) in
                try parse(format: "gif")
            }
        }

        @Test func parsesQualityFrom1To100() throws {
            #expect(try parse(quality: "1").quality == 1)
            #expect(try parse(quality: "100").quality == 100)
            for value in ["0", "101", "high", ""] {
                expectRejected("quality", mentioning: ["integer from 1 to 100"]) { () throws(InvalidParameter) in
                    try parse(quality: value)
                }
            }
        }
    }
}
