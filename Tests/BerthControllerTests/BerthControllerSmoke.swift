import Testing
@testable import BerthController

@Test func BerthControllerLinks() {}
