import csv, math, random
rows=list(csv.DictReader(open('/tmp/sig.tsv'),delimiter='\t'))
def feats(x):
    s=float(x['score']); s2=float(x['second']); qw=max(float(x['query_weight']),1e-6)
    return [1.0, float(x['coverage']), float(x['question_coverage']), (s-s2)/max(s,1e-6), math.log1p(s), s/qw]
X=[feats(r) for r in rows]; Y=[1 if r['label']=='right' else 0 for r in rows]
idx=list(range(len(rows)))
def fit(ids):
    w=[0.0]*len(X[0])
    for it in range(3000):
        g=[0.0]*len(w)
        for i in ids:
            z=sum(a*b for a,b in zip(w,X[i])); p=1/(1+math.exp(-z))
            for k in range(len(w)): g[k]+=(p-Y[i])*X[i][k]
        w=[a-0.5*b/len(ids) for a,b in zip(w,g)]
    return w
def evaluate(w,ids,th):
    tp=fp=fn=0; nn=nn_hit=said=0; ans=0; answerable=0
    for i in ids:
        z=sum(a*b for a,b in zip(w,X[i])); conf=z>th
        lab=rows[i]['label']
        if lab=='none':
            nn+=1
            if not conf: nn_hit+=1
        else:
            answerable+=1
            if conf and lab=='right': ans+=1
        if not conf: said+=1
    return ans/answerable, nn_hit/max(said,1), nn_hit/max(nn,1)
tr=[i for i in idx if i%2==0]; te=[i for i in idx if i%2==1]
w=fit(tr); print([round(a,2) for a in w])
for th in [-1,-0.5,0,0.5,1]:
    print(th, 'train', [round(v,3) for v in evaluate(w,tr,th)], 'test', [round(v,3) for v in evaluate(w,te,th)])
wall=fit(idx); print('all', [round(a,3) for a in wall])
for th in [-1,-0.75,-0.5,-0.25,0]:
    print(th, 'all', [round(v,3) for v in evaluate(wall,idx,th)])
