/// A setting of `imageproc serve` that cannot be used; the message names the flag or variable and what it takes.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
