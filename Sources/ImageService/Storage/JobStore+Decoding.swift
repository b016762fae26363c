import Foundation
import Imaging
import PostgresClient

extension JobStore {
    /// The columns of a ``JobRecord``: everything but the image bytes.
    static let recordColumns = """
        id, status, operations, width, height, fit, output_format, quality, filename, metadata, \
        original_format, original_width, original_height, original_bytes, \
        processed_format, processed_width, processed_height, processed_bytes, \
        error_code, error_message, attempts, uploaded_at, processed_at
        """

    /// Operations are stored as their names in order, comma-separated (`grayscale,resize`).
    static func operationsText(_ operations: [ImageOperation]) -> String {
        operations.map(\.rawValue).joined(separator: ",")
    }

    static func record(_ result: PostgresResult, _ row: Int) throws(PostgresError) -> JobRecord {
        let processed: ImageSummary? =
            if try result.isNull(row, "processed_format") {
                nil
            } else {
                try summary(result, row, prefix: "processed")
            }
        let failure: JobFailure? =
            if let code = try result.string(row, "error_code") {
                JobFailure(code: code, message: try result.string(row, "error_message") ?? "")
            } else {
                nil
            }
        return JobRecord(
            id: try required(result.uuid(row, "id"), "id"),
            status: try enumValue(result.string(row, "status"), "status"),
            options: try options(result, row),
            filename: try result.string(row, "filename"),
            metadata: try result.string(row, "metadata"),
            uploadedAt: try required(result.date(row, "uploaded_at"), "uploaded_at"),
            processedAt: try result.date(row, "processed_at"),
            original: try summary(result, row, prefix: "original"),
            processed: processed,
            failure: failure,
            attempts: try required(result.int(row, "attempts"), "attempts"))
    }

    static func options(_ result: PostgresResult, _ row: Int) throws(PostgresError) -> ProcessingOptions {
        let operationsText = try required(result.string(row, "operations"), "operations")
        let operations = try operationsText.split(separator: ",").map { name throws(PostgresError) in
            try enumValue(String(name), "operations") as ImageOperation
        }
        return ProcessingOptions(
            operations: operations,
            width: try result.int(row, "width"),
            height: try result.int(row, "height"),
            fit: try enumValue(result.string(row, "fit"), "fit"),
            format: try enumValue(result.string(row, "output_format"), "output_format"),
            quality: try required(result.int(row, "quality"), "quality"))
    }

    /// The format, width, height and byte count in the columns `<prefix>_format`, `<prefix>_width`, …
    static func summary(_ result: PostgresResult, _ row: Int, prefix: String) throws(PostgresError) -> ImageSummary {
        ImageSummary(
            format: try enumValue(result.string(row, "\(prefix)_format"), "\(prefix)_format"),
            width: try required(result.int(row, "\(prefix)_width"), "\(prefix)_width"),
            height: try required(result.int(row, "\(prefix)_height"), "\(prefix)_height"),
            bytes: try required(result.int(row, "\(prefix)_bytes"), "\(prefix)_bytes"))
    }

    static func required<T>(_ value: T?, _ column: String) throws(PostgresError) -> T {
        guard let value else { throw PostgresError(kind: .decodingFailed, message: "column \(column) is NULL") }
        return value
    }

    static func enumValue<T: RawRepresentable<String>>(_ text: String?, _ column: String) throws(PostgresError) -> T {
        let text = try required(text, column)
        guard let value = T(rawValue: text) else {
            throw PostgresError(kind: .decodingFailed, message: "column \(column) holds an unknown value")
        }
        return value
    }
}
