import sys,re,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')[1:]
inner=collections.Counter(); thr=collections.Counter(); anyf=collections.Counter(); top=collections.Counter()
n=0
for e in evs:
    m=re.search(r'sampledThread = "([^"]*)"',e)
    t=m.group(1) if m else '?'
    t=re.sub(r'\d+','N',t)
    frames=re.findall(r'^\s+([\w.$<>]+)\(',e,re.M)
    if not frames: continue
    n+=1; thr[t]+=1
    top[frames[0]]+=1
    for f in frames:
        if f.startswith('io.danmakurelay'):
            inner['.'.join(f.split('.')[-2:])]+=1; break
    seen=set()
    for f in frames:
        if f.startswith('io.danmakurelay'):
            k='.'.join(f.split('.')[-2:]).split('$')[0]
            if k not in seen: seen.add(k); anyf[k]+=1
print('samples',n)
for name,c in [('thread',thr),('innermost project',inner),('any frame class',anyf),('top frame',top)]:
    print('==',name)
    for k,v in c.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 25): print(f'{100*v/n:5.1f}% {v:5d} {k}')
