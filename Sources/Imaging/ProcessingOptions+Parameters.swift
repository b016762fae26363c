/// A request parameter that cannot be used, with a message naming it and what it accepts.
public struct InvalidParameter: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter's name as the client wrote it: `op`, `width`, `height`, `fit`, `format` or `quality`.
    public var parameter: String
    /// Names the parameter and the values allowed, e.g. "width must be an integer from 1 to 16384" (the limits are
    /// ``ProcessingOptions/dimensionRange`` and ``ProcessingOptions/qualityRange``).
    public var message: String

    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { message }
}

extension ProcessingOptions {
    /// Parses the parameters the HTTP API (query string) and the CLI (options) share. `nil` means absent.
    ///
    /// - `op`: `grayscale`, `resize`, or a comma-separated list such as `resize,grayscale`, each at most once,
    ///   applied in that order; default `grayscale`.
    /// - `width`, `height`: integers in ``dimensionRange``; `resize` needs at least one of them. The other follows
    ///   from the aspect ratio when absent.
    /// - `fit`: `inside`, `cover` or `fill`; default `inside`.
    /// - `format`: `jpeg` (or `jpg`), `png` or `same`; default `same`.
    /// - `quality`: JPEG quality, an integer in ``qualityRange``; default ``defaultQuality``.
    public init(
        op: String?, width: String?, height: String?, fit: String?, format: String?, quality: String?
    ) throws(InvalidParameter) {
        let operations = try Self.parseOperations(op)
        let width = try Self.parseInteger(width, named: "width", in: Self.dimensionRange)
        let height = try Self.parseInteger(height, named: "height", in: Self.dimensionRange)
        if operations.contains(.resize), width == nil, height == nil {
            throw InvalidParameter(
                parameter: "width",
                message: "resize needs width or height (or both), integers from \(Self.dimensionRange.lowerBound) to "
                    + "\(Self.dimensionRange.upperBound)")
        }
        self.init(
            operations: operations,
            width: width,
            height: height,
            fit: try Self.parseChoice(fit, named: "fit", default: .inside, aliases: [:]),
            format: try Self.parseChoice(format, named: "format", default: .same, aliases: ["jpg": .jpeg]),
            quality: try Self.parseInteger(quality, named: "quality", in: Self.qualityRange) ?? Self.defaultQuality)
    }

    private static func parseOperations(_ text: String?) throws(InvalidParameter) -> [ImageOperation] {
        guard let text else { return [.grayscale] }
        let allowed = ImageOperation.allCases.map(\.rawValue).joined(separator: ", ")
        var operations: [ImageOperation] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let operation = ImageOperation(rawValue: String(name)) else {
                throw InvalidParameter(
                    parameter: "op", message: "op must be one of \(allowed), or a comma-separated list of them")
            }
            guard !operations.contains(operation) else {
                throw InvalidParameter(parameter: "op", message: "op must name each of \(allowed) at most once")
            }
            operations.append(operation)
        }
        return operations
    }

    private static func parseInteger(_ text: String?, named name: String, in range: ClosedRange<Int>)
        throws(InvalidParameter) -> Int?
    {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw InvalidParameter(
                parameter: name,
                message: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func parseChoice<Choice: RawRepresentable<String> & CaseIterable>(
        _ text: String?, named name: String, default defaultValue: Choice, aliases: [String: Choice]
    ) throws(InvalidParameter) -> Choice {
        guard let text else { return defaultValue }
        if let choice = Choice(rawValue: text) ?? aliases[text] {
            return choice
        }
        let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        throw InvalidParameter(parameter: name, message: "\(name) must be one of \(allowed)")
    }
}
