/// A list cursor that this service did not issue (not base64url, or the wrong length). The API answers 400.
public struct InvalidCursor: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}

    public var description: String { "the cursor is not one this service issued" }
}
