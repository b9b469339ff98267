"""The inline stylesheet and script of the public site (no external loads, no CDN)."""

CSS = """
:root{--fg:#1f2328;--mut:#59636e;--line:#d1d9e0;--acc:#b42318;--bg:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;
color:var(--fg);line-height:1.6;background:#fff}
header{background:var(--acc);color:#fff;padding:16px 24px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.9;font-size:14px}
nav{background:var(--bg);border-bottom:1px solid var(--line);padding:8px 24px;position:sticky;top:0}
nav a{margin-right:18px;color:var(--fg);text-decoration:none;font-weight:600}
main{padding:8px 24px 40px;max-width:1280px}
section{margin-top:24px}
h2{font-size:19px;border-left:4px solid var(--acc);padding-left:8px}
table{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}
code,.mono{font-family:"Noto Sans Mono CJK SC",monospace;font-size:12px;overflow-wrap:anywhere}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:center;margin:12px 0}
input,select,button{font:inherit;padding:4px 8px}
.note{color:var(--mut);font-size:13px}
.ok{color:#1a7f37;font-weight:600}.bad{color:var(--acc);font-weight:600}
#check-out li{margin:6px 0}
.hidden{display:none}
"""

JS = r"""
(function(){
"use strict";
var DATA = JSON.parse(document.getElementById("dsr-data").textContent);
var LABEL = "dsr/unit/1";
function utf8(s){return new TextEncoder().encode(s);}
function fromHex(h){var a=new Uint8Array(h.length/2);for(var i=0;i<a.length;i++)a[i]=parseInt(h.substr(2*i,2),16);return a;}
function toHex(buf){return Array.prototype.map.call(new Uint8Array(buf),function(b){return("0"+b.toString(16)).slice(-2);}).join("");}
function norm(s){return (s||"").normalize("NFKC").toUpperCase().replace(/[\s\u200b\ufeff\-\u2010-\u2015\u2212]+/g,"");}
function fold(s){return (s||"").normalize("NFKC").toLowerCase().replace(/\s+/g,"");}
function hasCrypto(){return !!(window.crypto&&window.crypto.subtle&&window.isSecureContext!==false);}
var NO_CRYPTO="本浏览器在此打开方式下不提供 Web Crypto（crypto.subtle），无法在页面内计算签号。请用较新版本的 Chrome、Edge、Firefox 或 Safari 直接打开本文件，或通过 https 访问本页面。";
function ticket(seedHex,key){
  var msg=new Uint8Array(utf8(LABEL).length+1+utf8(key).length);
  msg.set(utf8(LABEL),0);msg[utf8(LABEL).length]=0;msg.set(utf8(key),utf8(LABEL).length+1);
  return crypto.subtle.importKey("raw",fromHex(seedHex),{name:"HMAC",hash:"SHA-256"},false,["sign"])
    .then(function(k){return crypto.subtle.sign("HMAC",k,msg);}).then(toHex);
}
function frac(h){return (parseInt(h.slice(0,13),16)/Math.pow(2,52)).toFixed(6);}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}
function explain(d,code,t){
  var li=el("li");li.setAttribute("data-draw",d.id);li.setAttribute("data-ticket",t);
  var u=null;for(var i=0;i<d.units.length;i++)if(d.units[i].key===code)u=d.units[i];
  li.appendChild(el("strong",null,d.brigade+" · "+d.id+"："));
  if(u){
    li.setAttribute("data-drawn","1");
    li.appendChild(el("span","ok","已抽中"));
    li.appendChild(el("span",null,"（"+u.name+"，"+u.batch+"，检查组："+u.team+"）"));
    var same=(u.ticket===t);
    li.appendChild(el("div",same?"ok":"bad",same?"页面计算的签号与抽取记录一致。":"页面计算的签号与抽取记录不一致！请向纪检或法制部门反映。"));
    var c=d.cutoffs[u.stratum];
    if(c){li.appendChild(el("div","note","所在层「"+u.stratum+"」分界签号 "+c+"；本单位签号"+(t<=c?"不大于":"大于")+"分界签号。"));}
  }else{
    li.setAttribute("data-drawn","0");
    li.appendChild(el("span",null,"未抽中（可能不在本次抽取范围、属于其他层，或依规定不列入本次抽取）。"));
    Object.keys(d.cutoffs).forEach(function(s){
      li.appendChild(el("div","note","若本单位属于「"+s+"」层：该层分界签号 "+d.cutoffs[s]+"，签号不大于分界签号者抽中。"));
    });
  }
  li.appendChild(el("div","mono","签号 "+t+"（折合 "+frac(t)+"）"));
  return li;
}
function runCheck(raw){
  var out=document.getElementById("check-out");out.innerHTML="";
  var code=norm(raw);
  if(!code){out.appendChild(el("p","bad","请输入统一社会信用代码或注册号。"));return;}
  if(!hasCrypto()){out.setAttribute("data-state","nocrypto");out.appendChild(el("p","bad",NO_CRYPTO));return;}
  var sel=document.getElementById("check-draw");
  var draws=DATA.draws.filter(function(d){return !sel||!sel.value||sel.value===d.id;});
  var list=el("ul");out.appendChild(el("p",null,"代码 "+code+" 的签号："));out.appendChild(list);
  Promise.all(draws.map(function(d){return ticket(d.seed,code).then(function(t){return explain(d,code,t);});}))
    .then(function(items){items.forEach(function(i){list.appendChild(i);});out.setAttribute("data-state","done");})
    .catch(function(e){out.setAttribute("data-state","error");out.appendChild(el("p","bad","计算失败："+e));});
}
function sha256(bytes){return crypto.subtle.digest("SHA-256",bytes).then(toHex);}
function verify(){
  var out=document.getElementById("verify-out");var d=DATA.draws[0];if(!out||!d||!d.commitment)return;
  if(!hasCrypto()){out.setAttribute("data-state","nocrypto");out.appendChild(el("p","bad",NO_CRYPTO));return;}
  var c=d.commitment;var label=utf8("dsr/seed/1"),h=fromHex(c.hash),ent=utf8(c.canonical);
  var msg=new Uint8Array(label.length+1+h.length+ent.length);
  msg.set(label,0);msg[label.length]=0;msg.set(h,label.length+1);msg.set(ent,label.length+1+h.length);
  Promise.all([c.document?sha256(utf8(c.document)):Promise.resolve(""),sha256(msg)]).then(function(r){
    var commitOk=r[0]===c.hash,seedOk=r[1]===d.seed;
    out.setAttribute("data-commit",commitOk?"ok":"bad");out.setAttribute("data-seed",seedOk?"ok":"bad");
    out.setAttribute("data-state","done");
    out.appendChild(el("p",commitOk?"ok":"bad",commitOk?"承诺文本的 SHA-256 与公布的承诺哈希一致。":"承诺文本的 SHA-256 与公布的承诺哈希不一致！"));
    out.appendChild(el("p",seedOk?"ok":"bad",seedOk?"由承诺哈希和公布的熵值重新计算的种子与本次抽取的种子一致。":"重新计算的种子与本次抽取的种子不一致！"));
    out.appendChild(el("p","mono","SHA-256(\"dsr/seed/1\" ‖ 0x00 ‖ 承诺哈希 ‖ 规范熵串) = "+r[1]));
  }).catch(function(e){out.setAttribute("data-state","error");out.appendChild(el("p","bad","计算失败："+e));});
}
function filter(){
  var q=fold(document.getElementById("q").value);var b=document.getElementById("brigade").value;
  var rows=document.querySelectorAll("tr[data-q]");var shown=0;
  rows.forEach(function(r){var ok=(!q||r.getAttribute("data-q").indexOf(q)>=0)&&(!b||r.getAttribute("data-brigade")===b);
    r.classList.toggle("hidden",!ok);if(ok)shown++;});
  document.getElementById("count").textContent=q||b?("符合条件 "+shown+" 行"):"";
}
document.addEventListener("DOMContentLoaded",function(){
  var q=document.getElementById("q");
  if(q){q.addEventListener("input",filter);document.getElementById("brigade").addEventListener("change",filter);}
  document.getElementById("check-form").addEventListener("submit",function(e){e.preventDefault();runCheck(document.getElementById("check-code").value);});
  verify();
  var params=new URLSearchParams(location.hash.slice(1));
  if(params.get("q")&&q){q.value=params.get("q");filter();}
  if(params.get("check")){document.getElementById("check-code").value=params.get("check");runCheck(params.get("check"));}
});
})();
"""
