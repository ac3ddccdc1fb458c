import Testing
@testable import BerthECS

@Test func BerthECSLinks() {}
