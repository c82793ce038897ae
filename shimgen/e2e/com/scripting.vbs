' For wrap-com-scrrun.sh: Scripting.Dictionary and Scripting.FileSystemObject
' (scrrun.dll) through VBScript's late binding, which the server answers from
' its type library. The exit code is the dictionary's count.
Set fso = CreateObject("Scripting.FileSystemObject")
Set dict = CreateObject("Scripting.Dictionary")
dict.Add "apple", 3
dict.Add "pear", 5
dict("plum") = 7
WScript.Echo "dictionary: " & dict.Count & " keys, pear = " & dict("pear") & ", has plum: " & dict.Exists("plum")
For Each key In dict.Keys
    WScript.Echo "key " & key & " = " & dict(key)
Next
On Error Resume Next
dict.Add "apple", 9
WScript.Echo "adding apple again: error " & Err.Number
Err.Clear
On Error GoTo 0
WScript.Echo "base name: " & fso.GetBaseName("C:\some\folder\report.final.txt")
WScript.Echo "extension: " & fso.GetExtensionName("C:\some\folder\report.final.txt")
WScript.Echo "build path: " & fso.BuildPath("C:\some", "file.txt")
Set file = fso.CreateTextFile("scripted.txt", True)
file.WriteLine "first line"
file.WriteLine "second line"
file.Close
Set file = fso.OpenTextFile("scripted.txt", 1)
WScript.Echo "read back: " & file.ReadLine & " / " & file.ReadLine
file.Close
WScript.Echo "file exists: " & fso.FileExists("scripted.txt") & ", size " & fso.GetFile("scripted.txt").Size
fso.DeleteFile "scripted.txt"
WScript.Echo "after delete: " & fso.FileExists("scripted.txt")
WScript.Quit dict.Count
