' For wrap-com-scrrun.sh: creates Scripting.Dictionary objects, each through
' scrrun.dll's DllGetClassObject, and appends a line to the file named by the
' second argument after each one returns: a line is a call that returned.
' The first argument is how many to create; 0 is for ever (until killed).
Set fso = CreateObject("Scripting.FileSystemObject")
Set returned = fso.OpenTextFile(WScript.Arguments(1), 8, True)
limit = CLng(WScript.Arguments(0))
made = 0
Do While limit = 0 Or made < limit
    Set dict = CreateObject("Scripting.Dictionary")
    made = made + 1
    returned.WriteLine made
Loop
returned.Close
