import BerthSys
import FoundationEssentials
print("berth \(Date())")
