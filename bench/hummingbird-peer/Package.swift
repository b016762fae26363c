// swift-tools-version:6.0
// The benchmark peer of our HTTP server (bench/http.sh): a Hummingbird 2 (SwiftNIO) hello-world answering
// `GET /healthz` with `ok`. Never a dependency of the product; built only by `make bench`.
import PackageDescription

let package = Package(
    name: "hummingbird-peer",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
