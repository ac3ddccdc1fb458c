import Testing
@testable import BerthAgent

@Test func BerthAgentLinks() {}
