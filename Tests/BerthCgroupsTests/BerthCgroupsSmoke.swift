import Testing
@testable import BerthCgroups

@Test func BerthCgroupsLinks() {}
