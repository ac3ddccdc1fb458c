import Testing
@testable import BerthRuntime

@Test func BerthRuntimeLinks() {}
