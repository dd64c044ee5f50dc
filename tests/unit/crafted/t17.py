from mk import *
exec(open('t9.py').read().split("fr=[")[0].split("from mk import *")[1])
N1=b'\xcc'*8; N2=b'\xdd'*8
# gateway rekeyed the IKE SA (CREATE_CHILD_SA in the old SA), then DPD in the new SA: gateway is its original initiator
ck=ike(A2,B,CHILD,0,2,[(SK,(33,b'\x00'*64))]); ckr=ike(A2,B,CHILD,I|R,2,[(SK,(33,b'\x00'*64))])
d1=ike(N1,N2,INFO,I,0,[(SK,(0,b'\x00'*32))]); d1r=ike(N1,N2,INFO,R,0,[(SK,(0,b'\x00'*32))])
fr=[u(C,G,500,500,r1),u(G,C,500,500,s1),u(C,G,500,500,a1),u(G,C,500,500,b1),esp(C,G),esp(G,C),
    u(G,C,500,500,ck),u(C,G,500,500,ckr),u(G,C,500,500,d1),u(C,G,500,500,d1r)]
pcap('t17.pcap',fr)
